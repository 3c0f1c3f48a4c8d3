"""A small real asset chain: raw (a till export split into day partitions) -> totals (units per store and
day) -> rolling (3-day mean).

The Airflow tests submit it through spark/submit.py's `--graph` (loaded by file path, so it imports only
installed modules); the runner and asset-step tests build their own graphs from its jobs. The jobs are plain
pandas on a file lake: spark-submit runs them in its Python driver, no Spark session.
"""

import hashlib
from pathlib import Path

import pandas as pd

from assets.graph import build_graph
from assets.model import AssetSpec, Freshness, Lake, window
from infra.lake import lake_path, write_partition_versions
from infra.settings import Settings
from spark.context import JobResult


def till_export(ctx) -> JobResult:
    """Source job: split incoming/sales.csv into day partitions, versioned by content."""
    root = Path(lake_path(ctx.settings))
    sales = pd.read_csv(root / "incoming" / "sales.csv", dtype={"day": str})
    versions = {}
    for day, rows in sales.groupby("day"):
        rows = rows.sort_values(["store", "sku"]).reset_index(drop=True)
        out = root / "raw" / f"date={day}"
        out.mkdir(parents=True, exist_ok=True)
        rows.to_parquet(out / "part-0.parquet", index=False)
        versions[day] = hashlib.sha256(rows.to_csv(index=False).encode()).hexdigest()[:16]
    write_partition_versions(ctx.settings, "raw", versions)
    return JobResult(len(sales), partition_versions=versions)


def store_totals(ctx) -> JobResult:
    root, rows = Path(lake_path(ctx.settings)), {}
    for day in ctx.partitions:
        sold = pd.read_parquet(root / "raw" / f"date={day}").groupby("store", as_index=False)["qty"].sum()
        out = root / "totals" / f"date={day}"
        out.mkdir(parents=True, exist_ok=True)
        sold.to_parquet(out / "part-0.parquet", index=False)
        rows[day] = len(sold)
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def rolling_mean(ctx) -> JobResult:
    root, rows = Path(lake_path(ctx.settings)), {}
    for day in ctx.partitions:
        days = sorted(p.name[5:] for p in (root / "totals").glob("date=*") if p.name[5:] <= day)[-3:]
        frame = pd.concat(pd.read_parquet(root / "totals" / f"date={d}") for d in days)
        out = root / "rolling" / f"date={day}"
        out.mkdir(parents=True, exist_ok=True)
        mean = frame.groupby("store", as_index=False)["qty"].mean()
        mean.to_parquet(out / "part-0.parquet", index=False)
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
    incoming = Path(lake_path(settings)) / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows + (extra or [])).to_csv(incoming / "sales.csv", index=False)
