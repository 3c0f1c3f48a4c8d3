"""Asset tables on embedded chdb: every sql/ file runs, loads replace their days, reruns never duplicate."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from assets.definitions import load_graph
from infra.lake import lake_path
from infra.warehouse import SQL_DIR, Warehouse, migrate, split_statements
from infra.warehouse_aggregates import AGGREGATES
from infra.warehouse_load import load_asset, load_dimensions, render
from spark.context import JobContext

from . import chain

GRAPH = load_graph()
DAYS = ["2026-01-30", "2026-01-31", "2026-02-01"]  # spans two monthly partitions


def write_partitions(settings, relative: str, frame: pd.DataFrame) -> None:
    for day, part in frame.groupby("date"):
        out = Path(lake_path(settings, relative)) / f"date={day}"
        out.mkdir(parents=True, exist_ok=True)
        part.drop(columns="date").to_parquet(out / "part-0.parquet", index=False)


def snapshot_frame(dims, days, on_hand: int = 5) -> pd.DataFrame:
    from spark.jobs.inventory import SNAPSHOT_COLUMNS

    keys = pd.MultiIndex.from_product([dims["stores"].store_id, dims["products"].sku, days]).to_frame(
        index=False
    )
    keys.columns = ["store_id", "sku", "date"]
    numeric = {c: np.full(len(keys), on_hand) for c, t in SNAPSHOT_COLUMNS if t == "bigint"}
    flags = {c: np.zeros(len(keys), bool) for c, t in SNAPSHOT_COLUMNS if t == "boolean"}
    doubles = {c: np.ones(len(keys)) for c, t in SNAPSHOT_COLUMNS if t == "double"}
    return keys.assign(**numeric, **flags, **doubles)


def prediction_frame(snapshot: pd.DataFrame) -> pd.DataFrame:
    from spark.jobs.forecasting import PREDICTION_COLUMNS

    frame = snapshot[["store_id", "sku", "date"]].copy()
    for column in PREDICTION_COLUMNS:
        if column not in frame:
            frame[column] = 1.0
    frame["prediction_id"] = frame.store_id + frame.sku + frame.date
    for column in ("forecast_source", "model_version", "urgency"):
        frame[column] = "x"
    for column in ("on_hand", "on_order", "case_pack", "min_order_units", "recommended_order_qty"):
        frame[column] = 6
    return frame


def lake_with_assets(settings):
    dims = chain.dimensions(2, 3)
    raw = chain.events(dims["stores"], dims["products"], 3)
    raw["raw_sales"]["ts"] = raw["raw_sales"]["ts"] + pd.Timedelta(days=25)  # land in DAYS
    chain.write_lake(settings, dims, raw)
    snapshot = snapshot_frame(dims, DAYS)
    write_partitions(settings, "curated/inventory_snapshot", snapshot)
    write_partitions(settings, "marts/reorder_predictions", prediction_frame(snapshot))
    return snapshot


def load_leftovers(wh: Warehouse) -> list[str]:
    """Tables a load made for itself that still exist: staging copies and the load lock."""
    return wh.query_df(
        "SELECT name FROM system.tables WHERE database = currentDatabase() "
        "AND (name LIKE '%staging%' OR name LIKE '%load_lock%') ORDER BY name"
    )["name"].tolist()


def count(wh: Warehouse, table: str) -> int:
    return int(wh.query_df(f"SELECT count() AS n FROM {table}")["n"].iloc[0])


def test_loading_twice_or_again_in_part_never_duplicates_rows(settings):
    lake_with_assets(settings)
    wh = Warehouse(settings)
    migrate(wh)
    inventory = JobContext.in_place(GRAPH, "inventory_snapshot", tuple(DAYS), settings, "t")
    predictions = JobContext.in_place(GRAPH, "reorder_predictions", tuple(DAYS), settings, "t")
    sales = JobContext.in_place(GRAPH, "raw_sales", tuple(DAYS), settings, "t")
    first = load_asset(inventory) | load_asset(predictions) | load_asset(sales)
    for ctx in (inventory, predictions, sales):
        load_asset(ctx)
    assert count(wh, "fact_inventory") == first["fact_inventory"] == 18
    assert count(wh, "fact_ml_predictions") == 18
    assert count(wh, "fact_sales") == first["fact_sales"] > 0
    assert count(wh, "dim_store") == 2 and count(wh, "dim_product") == 3
    assert load_leftovers(wh) == [], "every load drops its staging copies and its lock"

    write_partitions(
        settings, "curated/inventory_snapshot", snapshot_frame(chain.dimensions(2, 3), DAYS[1:2], 9)
    )
    load_asset(JobContext.in_place(GRAPH, "inventory_snapshot", (DAYS[1],), settings, "t"))
    by_day = wh.query_df(
        "SELECT toString(date) AS day, count() AS n, max(closing_on_hand) AS top "
        "FROM fact_inventory GROUP BY day ORDER BY day"
    )
    assert by_day["n"].tolist() == [6, 6, 6] and by_day["top"].tolist() == [5, 9, 5], "only that day changed"


def test_star_schema_matches_the_lake_and_exposes_no_uint64(settings):
    snapshot = lake_with_assets(settings)
    wh = Warehouse(settings)
    migrate(wh)
    load_asset(JobContext.in_place(GRAPH, "inventory_snapshot", tuple(DAYS), settings, "t"))
    assert count(wh, "fact_inventory") == len(snapshot)
    joined = wh.query_df(
        "SELECT count() AS n FROM fact_inventory f JOIN dim_store s ON f.store_key = s.store_key "
        "JOIN dim_product p ON f.product_key = p.product_key JOIN dim_date d ON f.date_key = d.date_key"
    )
    assert int(joined["n"].iloc[0]) == len(snapshot)
    christmas = wh.query_df("SELECT is_holiday, is_weekend FROM dim_date WHERE date_key = 20261225")
    assert bool(christmas["is_holiday"].iloc[0]) and not bool(christmas["is_weekend"].iloc[0])
    wide = wh.query_df(
        "SELECT table, name FROM system.columns WHERE database = currentDatabase() "
        "AND (table LIKE 'fact_%' OR table LIKE 'dim_%') AND type LIKE '%UInt64%'"
    )
    assert wide.empty, f"Power BI cannot key on UInt64: {wide.to_dict('records')}"
    assert load_dimensions(settings)["dim_date"] == count(wh, "dim_date")


def test_every_sql_file_runs_on_chdb(settings):
    wh = Warehouse(settings)
    applied = migrate(wh)
    assert applied == sorted(p.name for p in (SQL_DIR / "ddl").glob("*.sql"))
    assert migrate(wh) == [], "a second migrate applies nothing"
    params = {
        "table": "fact_inventory",
        "staging": "staged_copy",
        "partition_id": "202601",
        "months": "202601",
        "days": "'2026-01-30'",
        "lock": "load_lock_check",
        "load_id": "0123456789ab",
        "started": 1,
        "fact_sales": "fact_sales",
        "fact_inventory": "fact_inventory",
        "dim_store": "dim_store",
    }
    query_params = {"table": "fact_inventory", "lock": "load_lock_check"}  # other placeholders are numbers
    with wh.session() as session:
        session.command("INSERT INTO fact_inventory (date, store_key) VALUES ('2026-01-30', 'S')")
        for path in sorted((SQL_DIR / "dml").glob("*.sql")):
            # each statement on a fresh staging copy of the table it stages (an aggregate's own, else facts)
            session.command("DROP TABLE IF EXISTS staged_copy SYNC")
            session.command("DROP TABLE IF EXISTS load_lock_check SYNC")
            if path.stem != "create_load_staging":
                aggregate = path.stem.removeprefix("stage_")
                source = aggregate if aggregate in AGGREGATES else "fact_inventory"
                session.command(f"CREATE TABLE staged_copy AS {source}")
            session.command(render(f"dml/{path.name}", **params))
        for path in sorted((SQL_DIR / "queries").glob("*.sql")):
            names = set(re.findall(r"(?<!{){(\w+)}(?!})", path.read_text()))
            for statement in split_statements(
                render(f"queries/{path.name}", **{n: query_params.get(n, 1) for n in names})
            ):
                session.query_df(statement)
