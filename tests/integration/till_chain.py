"""A small real asset chain: raw (a till export split into day partitions) -> totals (units per store and
day) -> rolling (3-day mean).

The Airflow tests submit it through spark/submit.py's `--graph` (loaded by file path, so it imports only
installed modules); the runner and asset-step tests build their own graphs from its jobs. The jobs are plain
pandas on the lake, file or s3://: spark-submit runs them in its Python driver, no Spark session.
"""

import hashlib
import uuid

import pandas as pd

from assets.graph import build_graph
from assets.model import AssetSpec, Freshness, Lake, window
from infra.lake import lake_fs, lake_path, published_days, write_partition_versions
from infra.settings import Settings
from spark.context import JobResult


def read_day(settings: Settings, asset: str, day: str) -> pd.DataFrame:
    """A published day, found through the asset's published index. This module is loaded by path in Airflow's
    and spark-submit's processes, where `tests` is not importable: it uses the product's functions only."""
    folder = published_days(settings, asset)[day]
    return pd.read_parquet(lake_path(settings, folder), filesystem=lake_fs(settings))


def write_day(settings: Settings, asset: str, day: str, frame: pd.DataFrame) -> None:
    """Write the day's file beside its place under a hidden name, then move it there: a scheduled and a
    triggered run of the source may rewrite a day while a consumer's run reads it."""
    fs, folder = lake_fs(settings), lake_path(settings, f"{asset}/date={day}")
    fs.makedirs(folder, exist_ok=True)
    hidden = f"{folder}/.part-0.parquet.{uuid.uuid4().hex}"
    with fs.open(hidden, "wb") as handle:
        frame.to_parquet(handle, index=False)
    fs.mv(hidden, f"{folder}/part-0.parquet")


def till_export(ctx) -> JobResult:
    """Source job: split incoming/sales.csv into day partitions, versioned by content."""
    with lake_fs(ctx.settings).open(lake_path(ctx.settings, "incoming/sales.csv")) as handle:
        sales = pd.read_csv(handle, dtype={"day": str})
    versions = {}
    for day, rows in sales.groupby("day"):
        rows = rows.sort_values(["store", "sku"]).reset_index(drop=True)
        write_day(ctx.settings, "raw", day, rows)
        versions[day] = hashlib.sha256(rows.to_csv(index=False).encode()).hexdigest()[:16]
    write_partition_versions(ctx.settings, "raw", versions)
    return JobResult(len(sales), partition_versions=versions)


def store_totals(ctx) -> JobResult:
    rows = {}
    for day in ctx.partitions:
        sold = read_day(ctx.settings, "raw", day).groupby("store", as_index=False)["qty"].sum()
        write_day(ctx.settings, ctx.output, day, sold)  # staged until its gate passes
        rows[day] = len(sold)
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def rolling_mean(ctx) -> JobResult:
    rows, built = {}, sorted(published_days(ctx.settings, "totals"))
    for day in ctx.partitions:
        frame = pd.concat(read_day(ctx.settings, "totals", d) for d in [d for d in built if d <= day][-3:])
        mean = frame.groupby("store", as_index=False)["qty"].mean()
        write_day(ctx.settings, ctx.output, day, mean)
        rows[day] = len(mean)
    return JobResult(sum(rows.values()), rows_by_partition=rows)


GRAPH = build_graph(
    [
        AssetSpec("raw", "till export", till_export, Lake("raw")),
        AssetSpec("totals", "units per store and day", store_totals, Lake("totals"), ("raw",)),
        AssetSpec("rolling", "3-day mean", rolling_mean, Lake("rolling"), (window("totals", 3),)),
    ]
)

# The till export alone, promised every 15 minutes: what the freshness watchdog watches.
EVERY_15_MIN = Freshness(max_lag_minutes=15)
WATCHED = build_graph([AssetSpec("watched_till", "till", till_export, Lake("raw"), freshness=EVERY_15_MIN)])


def write_sales(settings: Settings, days: list[str], extra: list[dict] | None = None) -> None:
    """The till export the source job reads: two stores, one SKU, per day (plus `extra` rows)."""
    rows = [
        {"day": d, "store": s, "sku": "A", "qty": i + 1} for i, d in enumerate(days) for s in ("S1", "S2")
    ]
    fs = lake_fs(settings)
    fs.makedirs(lake_path(settings, "incoming"), exist_ok=True)
    with fs.open(lake_path(settings, "incoming/sales.csv"), "w") as handle:
        pd.DataFrame(rows + (extra or [])).to_csv(handle, index=False)
