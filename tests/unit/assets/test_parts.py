"""Every part an asset declares exists, or the catalog does not load and says which part is missing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assets.definitions import load_graph
from assets.graph import GraphError, build_graph
from assets.model import AssetSpec, Gate, Lake, WarehouseTable
from assets.parts import check_parts, ddl_tables, missing_parts
from infra.settings import Settings
from spark.context import JobContext

GOOD = AssetSpec(
    "inventory_snapshot", "ledger", "spark.jobs.inventory:build_inventory_snapshot",
    Lake("curated/inventory_snapshot"), contract="inventory_snapshot", gate=Gate(),
    warehouse=WarehouseTable("fact_inventory", "infra.warehouse_load:inventory_rows"),
)  # fmt: skip


def test_the_catalog_declares_only_parts_that_exist():
    graph = load_graph()
    assert all(missing_parts(graph[name]) == [] for name in graph.order)
    loaded = {graph[name].warehouse.table for name in graph.order if graph[name].warehouse}
    assert {"fact_sales", "fact_inventory", "fact_ml_predictions"} <= loaded <= ddl_tables()


def test_a_gate_names_its_own_suite_unless_told_otherwise():
    assert GOOD.gate.suite == "inventory_snapshot"
    assert AssetSpec("x", "", "m:f", Lake("x"), gate=Gate("shared")).gate.suite == "shared"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"job": "spark.jobs.inventory:build_inventory_snapshots"}, "inventory.py defines no function"),
        ({"job": "spark.jobs.nowhere:build"}, "no module spark.jobs.nowhere"),
        ({"gate": Gate("inventory_snapshots")}, "inventory_snapshots.json is missing"),
        ({"contract": "inventory"}, "contract 'inventory' is not in spark/contracts.py"),
        ({"warehouse": WarehouseTable("fact_stock", "infra.warehouse_load:inventory_rows")},
         "fact_stock has no CREATE TABLE"),
        ({"warehouse": WarehouseTable("fact_inventory", "infra.warehouse_load:stock_rows")},
         "warehouse_load.py defines no function stock_rows"),
    ],
)  # fmt: skip
def test_a_missing_part_fails_the_catalog_naming_the_asset_and_the_part(change, named):
    assert missing_parts(GOOD) == []
    with pytest.raises(GraphError, match="inventory_snapshot: ") as failure:
        check_parts(build_graph([replace(GOOD, **change)]))
    assert named in str(failure.value)


def test_a_job_sees_only_its_asset_and_the_upstreams_it_declares(tmp_path):
    ctx = JobContext.of(load_graph(), "daily_features", ("2026-03-01",), Settings(home=tmp_path), "t")
    assert ctx.location("inventory_snapshot") == "curated/inventory_snapshot"
    assert ctx.path().endswith("/curated/daily_features")
    with pytest.raises(KeyError, match="daily_features's job reads raw_sales, which it does not declare"):
        ctx.path("raw_sales")
