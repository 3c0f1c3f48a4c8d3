"""A small gated chain: pandas jobs writing Parquet into a file lake, checked by the real suites.

raw_sales (a few lines per store x SKU and day) -> inventory_snapshot (a ledger, gated by the
inventory_snapshot suite) -> daily_features (gated by the daily_features suite). A test breaks the ledger of
chosen days through a file in the lake (`incoming/ledger_breaks.json`), so the break also reaches jobs that
run in another process (spark-submit from an Airflow task).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from assets.catalog.reference import products, stores
from assets.graph import build_graph
from assets.model import AssetSpec, Gate, Lake, as_of_build, window
from infra.lake import lake_path, published_days, write_partition_versions
from infra.settings import Settings
from spark.context import JobResult

DAYS = ["2026-03-09", "2026-03-10", "2026-03-11"]
STORES, SKUS = ["S1", "S2"], ["A", "B", "C"]


def break_ledger(settings: Settings, day: str, closing_on_hand_error: list[int] | int) -> None:
    """Make inventory_snapshot's job add this error to the closing on-hand of `day` (a ledger that no longer
    balances): one number for every row, or one per row in store x SKU order."""
    path = _breaks_file(settings)
    breaks = json.loads(path.read_text()) if path.exists() else {}
    breaks[day] = closing_on_hand_error
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(breaks))


def write_reference(settings: Settings) -> None:
    """The store and product masters the suites check ids against."""
    root = Path(lake_path(settings)) / "reference"
    dimensions = {"stores": pd.DataFrame({"store_id": STORES}), "products": pd.DataFrame({"sku": SKUS})}
    for name, frame in dimensions.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        frame.to_parquet(root / name / "part-0.parquet", index=False)


def ingest_sales(ctx) -> JobResult:
    """Source job: a few sale lines per store x SKU and day, versioned by content."""
    root, versions = Path(lake_path(ctx.settings)), {}
    for i, day in enumerate(DAYS):
        lines = pd.DataFrame([{"store_id": s, "sku": k, "kind": "sale", "quantity": 1 + (i + j) % 3}
                              for j, (s, k) in enumerate((s, k) for s in STORES for k in SKUS)])
        out = root / "raw" / "sales" / f"date={day}"
        out.mkdir(parents=True, exist_ok=True)
        lines.to_parquet(out / "part-0.parquet", index=False)
        versions[day] = hashlib.sha256(lines.to_csv().encode()).hexdigest()[:16]
    write_partition_versions(ctx.settings, "raw/sales", versions)
    return JobResult(len(DAYS), partition_versions=versions)


def build_ledger(ctx) -> JobResult:
    root, rows = Path(lake_path(ctx.settings)), {}
    breaks = _breaks_file(ctx.settings)
    breaks = json.loads(breaks.read_text()) if breaks.exists() else {}
    for day in ctx.partitions:
        lines = pd.read_parquet(root / "raw" / "sales" / f"date={day}")
        sold = lines.groupby(["store_id", "sku"])["quantity"].sum().rename("sold").reset_index()
        ledger = sold.assign(opening_on_hand=10, returned=0, received=0, adjusted=0)
        ledger = ledger.assign(
            closing_on_hand=10 - ledger["sold"] + breaks.get(day, 0), discrepancy=False, store_silent=False
        )
        out = Path(lake_path(ctx.settings, ctx.output)) / f"date={day}"  # staged until its gate passes
        out.mkdir(parents=True, exist_ok=True)
        ledger.to_parquet(out / "part-0.parquet", index=False)
        rows[day] = len(ledger)
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def build_features(ctx) -> JobResult:
    # The ledger's published days (loaded by path in spark-submit's process, this uses product code only).
    ledger = published_days(ctx.settings, ctx.location("inventory_snapshot"))
    for day in ctx.partitions:
        today = pd.read_parquet(lake_path(ctx.settings, ledger[day]))
        before = str((pd.Timestamp(day) - pd.Timedelta(days=1)).date())
        if before in ledger:
            lag = pd.read_parquet(lake_path(ctx.settings, ledger[before]))[["store_id", "sku", "sold"]]
        else:
            lag = today[["store_id", "sku"]].assign(sold=float("nan"))
        lag = lag.rename(columns={"sold": "lag_1"})
        features = today[["store_id", "sku", "sold"]].rename(columns={"sold": "units_sold"})
        features = features.merge(lag, "left")
        features = features.assign(stock_out=False, price=2.5, day_of_week=pd.Timestamp(day).dayofweek + 1)
        out = Path(lake_path(ctx.settings, ctx.output)) / f"date={day}"
        out.mkdir(parents=True, exist_ok=True)
        features.astype({"units_sold": float, "lag_1": float}).to_parquet(out / "part-0.parquet", index=False)
    rows = {d: len(STORES) * len(SKUS) for d in ctx.partitions}
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def _breaks_file(settings: Settings) -> Path:
    return Path(lake_path(settings)) / "incoming" / "ledger_breaks.json"


MASTERS = (as_of_build("stores"), as_of_build("products"))  # the suites count and match rows against them

GRAPH = build_graph([
    stores, products,
    AssetSpec("raw_sales", "POS lines", ingest_sales, Lake("raw/sales")),
    AssetSpec("inventory_snapshot", "ledger", build_ledger, Lake("curated/inventory_snapshot"),
              ("raw_sales", *MASTERS), gate=Gate("inventory_snapshot")),
    AssetSpec("daily_features", "features", build_features, Lake("curated/daily_features"),
              (window("inventory_snapshot", 2), *MASTERS), gate=Gate("daily_features")),
])
