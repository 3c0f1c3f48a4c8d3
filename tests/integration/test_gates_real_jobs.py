"""The suites and contracts agree with what the real Spark jobs write: inventory_snapshot and daily_features
built by their jobs from three tiny days of raw events, gated by the runner, then checked by pandera."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from assets.definitions import load_graph
from assets.graph import build_graph
from assets.runner import Runner
from infra.lake import lake_path, write_partition_versions
from infra.warehouse import Warehouse, migrate
from spark.context import JobContext, JobResult
from spark.contracts import check
from spark.jobs.lake_io import read_days

pytestmark = pytest.mark.spark

DAYS = ["2026-03-09", "2026-03-10", "2026-03-11"]
STORES, SKUS = ["S1", "S2"], ["A", "B", "C"]
INT = "int32"


def events(day: str, kind: str) -> pd.DataFrame:
    """One event per store x SKU and day of the raw asset `kind`, typed as the ingest job writes them."""
    pairs = [(s, k) for s in STORES for k in SKUS]
    base = pd.DataFrame({"event_id": [f"{kind}-{day}-{s}-{k}" for s, k in pairs],
                         "store_id": [s for s, _ in pairs], "sku": [k for _, k in pairs],
                         "kafka_partition": pd.array([0] * 6, dtype=INT),
                         "kafka_offset": range(6)})
    at = {"sales": "10:00", "receipts": "07:00", "inventory_updates": "06:00", "price_changes": "05:00"}[kind]
    base["ts"] = pd.Timestamp(f"{day} {at}")
    if kind == "sales":
        return base.assign(kind="sale", basket_id="b", terminal_id="t", unit_price=2.0, discount=0.0,
                           quantity=pd.array([1 + i % 3 for i in range(6)], dtype=INT))
    if kind == "receipts":
        return base.assign(supplier_id="SUP1", po_id="po", unit_cost=1.0,
                           quantity=pd.array([12] * 6, dtype=INT))
    if kind == "inventory_updates":
        return base.assign(kind="count", reason="cycle_count", quantity=pd.array([20] * 6, dtype=INT))
    return base.assign(price=2.0, promo=False)


def ingest_from_files(ctx) -> JobResult:
    """Stands in for the Kafka ingest: writes the asset's days and the version index."""
    root, kind, versions = Path(lake_path(ctx.settings)) / ctx.asset.storage.path, ctx.asset.name[4:], {}
    for day in DAYS:
        frame = events(day, kind)
        (root / f"date={day}").mkdir(parents=True, exist_ok=True)
        frame.to_parquet(root / f"date={day}" / "part-0.parquet", index=False, coerce_timestamps="us",
                         allow_truncated_timestamps=True)
        versions[day] = hashlib.sha256(frame.to_csv().encode()).hexdigest()[:16]
    write_partition_versions(ctx.settings, ctx.asset.storage.path, versions)
    return JobResult(len(DAYS), partition_versions=versions)


def write_dimensions(settings) -> None:
    root = Path(lake_path(settings)) / "reference"
    dims = {
        "stores": pd.DataFrame({"store_id": STORES, "name": "n", "city": "c", "region": "r", "country": "x",
                                "square_footage": pd.array([1000, 2000], dtype=INT), "store_type": "urban",
                                "opens_at_hour": pd.array([8, 8], dtype=INT),
                                "closes_at_hour": pd.array([20, 20], dtype=INT)}),
        "products": pd.DataFrame({"sku": SKUS, "name": "n", "category": "c", "sub_category": "s",
                                  "brand": "b", "supplier_id": "SUP1", "unit_cost": 1.0, "list_price": 2.0,
                                  "case_pack": pd.array([6, 12, 1], dtype=INT),
                                  "shelf_life_days": pd.array([10, 10, 10], dtype=INT)}),
        "suppliers": pd.DataFrame({"supplier_id": ["SUP1"], "name": "s", "lead_time_days": 2.0,
                                   "lead_time_std_days": 0.5, "min_order_units": pd.array([0], dtype=INT)}),
    }
    for name, frame in dims.items():
        (root / name).mkdir(parents=True)
        frame.to_parquet(root / name / "part-0.parquet", index=False)


def test_real_jobs_pass_their_gates_and_contracts(settings):
    real = load_graph()
    sources = ["raw_sales", "raw_receipts", "raw_inventory_updates", "raw_price_changes"]
    graph = build_graph([replace(real[n], job=ingest_from_files) for n in sources]
                        + [real[n] for n in ("stores", "products", "inventory_snapshot", "daily_features")])
    migrate(Warehouse(settings))
    write_dimensions(settings)
    report = {o.asset: o for o in Runner(graph, settings).materialize().outcomes}
    assert report["inventory_snapshot"].built == DAYS, report["inventory_snapshot"].message
    assert report["daily_features"].built == DAYS, report["daily_features"].message
    failed = "SELECT asset, partition, expectation FROM dq_results WHERE NOT success"
    dq = Warehouse(settings).query_df(failed)
    assert dq.values.tolist() == [["daily_features", DAYS[0], "expect_column_values_to_not_be_null(lag_1)"]]

    for asset in ("inventory_snapshot", "daily_features"):  # read as the next job would: published days
        reader = JobContext.of(graph, asset, tuple(DAYS), settings, "reader")
        published = read_days(reader, asset, None, DAYS[-1], [])
        days = published.selectExpr("string(date) AS day").distinct().collect()
        assert sorted(r["day"] for r in days) == DAYS
        check(published, asset)
