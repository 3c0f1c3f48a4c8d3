"""A load spanning a month boundary is published whole or not at all, on embedded chdb.

Readers are checked by an observer that queries after every statement the load runs, so every state a
reader could ever meet is seen. (chdb's directory lock keeps other processes out for the whole load; a
reader thread on its own chdb connection loses that connection when the load's session closes, because
chdb shares one engine per process, so a threaded reader is not a usable check here.)
The server path runs the same
SQL; only its lock and EXCHANGE semantics on a real server are not exercised here (docs/warehouse_loads.md).
"""

from __future__ import annotations

import time

import pytest

from infra import warehouse as warehouse_module
from infra import warehouse_load
from infra.warehouse import Warehouse, WarehouseBusy, migrate
from infra.warehouse_swap import LOCK_TABLE, STALE_LOCK_S, TableSwap, atomic_load, render
from spark.context import JobContext

from . import chain
from .test_warehouse_load import (
    DAYS,
    GRAPH,
    lake_with_assets,
    load_leftovers,
    snapshot_frame,
    write_partitions,
)

# what a reader sees: the top closing stock of each month of the load, in the facts and in the aggregate
READ = (
    "SELECT toYYYYMM(date) AS month, max(closing_on_hand) AS top FROM {db}fact_inventory GROUP BY month "
    "UNION ALL SELECT 100 * toYYYYMM(date), max(units_on_hand) FROM {db}inventory_by_store GROUP BY 1"
)
OLD, NEW = 5, 9  # every row's closing stock before and after the reload
SKUS = 3  # inventory_by_store sums the closing stock of a store's 3 SKUs


def loaded_warehouse(settings) -> Warehouse:
    """A warehouse holding DAYS at on-hand OLD, and the lake rebuilt with on-hand NEW for the same days."""
    lake_with_assets(settings)
    warehouse = Warehouse(settings)
    migrate(warehouse)
    warehouse_load.load_asset(inventory_load(settings))
    write_partitions(
        settings, "curated/inventory_snapshot", snapshot_frame(chain.dimensions(2, SKUS), DAYS, NEW)
    )
    return warehouse


def inventory_load(settings) -> JobContext:
    return JobContext.in_place(GRAPH, "inventory_snapshot", tuple(DAYS), settings, "t")


def state(rows) -> str:
    """'old', 'new', or what a reader saw that is neither: each table must hold one load's months, all of
    them (tables are published one after another, so facts and aggregates may differ for a moment)."""
    rows = [(int(month), int(top)) for month, top in rows]
    facts = {month: top for month, top in rows if month < 1_000_000}
    aggregates = {month // 100: top // SKUS for month, top in rows if month >= 1_000_000}
    seen = []
    for table in (facts, aggregates):
        if set(table) != {202601, 202602} or len(set(table.values())) != 1:
            return f"mixed: {rows}"
        seen.append({OLD: "old", NEW: "new"}.get(next(iter(table.values())), f"unknown: {rows}"))
    return seen[0] if seen[0] == seen[1] else f"{seen[0]} facts, {seen[1]} aggregates"


def test_every_statement_of_a_load_leaves_readers_the_old_months_or_the_new(settings, monkeypatch):
    loaded_warehouse(settings)
    seen: list[str] = []
    command, insert_df = warehouse_module._ChdbSession.command, warehouse_module._ChdbSession.insert_df

    def observe(session) -> None:
        rows = session._raw.query(READ.format(db=""), "DataFrame")
        seen.append(state(rows.itertuples(index=False, name=None)))

    def observed_command(session, sql):
        command(session, sql)
        observe(session)

    def observed_insert(session, table, frame):
        insert_df(session, table, frame)
        observe(session)

    monkeypatch.setattr(warehouse_module._ChdbSession, "command", observed_command)
    monkeypatch.setattr(warehouse_module._ChdbSession, "insert_df", observed_insert)
    warehouse_load.load_asset(inventory_load(settings))

    assert len(seen) > 20, "the observer ran after every statement of the load"
    whole = {"old", "new", "new facts, old aggregates"}  # the last: between two tables' exchanges
    assert set(seen) <= whole, [s for s in seen if s not in whole][:3]
    assert seen.index("new") > seen.index("old") and seen[-1] == "new"


def test_a_load_failing_while_staging_leaves_the_old_data_and_nothing_behind(settings, monkeypatch):
    warehouse = loaded_warehouse(settings)

    def broken(*args):
        raise RuntimeError("the aggregate build failed")

    monkeypatch.setattr(warehouse_load, "stage_aggregates", broken)
    with pytest.raises(RuntimeError, match="aggregate build failed"):
        warehouse_load.load_asset(inventory_load(settings))

    assert state(warehouse.query_df(READ.format(db="")).itertuples(index=False, name=None)) == "old"
    assert load_leftovers(warehouse) == []


def test_a_load_failing_while_publishing_swaps_back_what_it_had_published(settings, monkeypatch):
    warehouse = loaded_warehouse(settings)
    run = TableSwap.run

    def exchange_fails_on_the_last_table(swap, relative, **params):
        if relative == "dml/exchange_staged_table.sql" and params["table"] == list(swap.staged)[-1]:
            raise RuntimeError("the server went away mid-publish")
        run(swap, relative, **params)

    monkeypatch.setattr(TableSwap, "run", exchange_fails_on_the_last_table)
    with pytest.raises(RuntimeError, match="mid-publish"):
        warehouse_load.load_asset(inventory_load(settings))
    monkeypatch.undo()

    assert state(warehouse.query_df(READ.format(db="")).itertuples(index=False, name=None)) == "old"
    assert load_leftovers(warehouse) == []
    warehouse_load.load_asset(inventory_load(settings))  # the rerun publishes, once
    assert state(warehouse.query_df(READ.format(db="")).itertuples(index=False, name=None)) == "new"
    assert warehouse.query_df("SELECT count() AS n FROM fact_inventory")["n"].iloc[0] == 18


def hold_lock(session, holder: str, started: float) -> None:
    """The load lock as another load takes it (the production statement)."""
    session.command(render("dml/create_load_lock.sql", lock=LOCK_TABLE, load_id=holder, started=int(started)))


def test_a_crashed_loads_lock_and_staging_copies_are_cleared_by_the_next_load(settings):
    warehouse = loaded_warehouse(settings)
    with warehouse.session() as session:  # what a load killed mid-way leaves
        hold_lock(session, "dead", time.time())
        session.command("CREATE TABLE fact_inventory_staging_0123456789ab AS fact_inventory")
        session.command("INSERT INTO fact_inventory_staging_0123456789ab SELECT * FROM fact_inventory")

    warehouse_load.load_asset(inventory_load(settings))

    assert load_leftovers(warehouse) == []
    assert state(warehouse.query_df(READ.format(db="")).itertuples(index=False, name=None)) == "new"


def test_the_server_lock_waits_for_a_live_load_and_breaks_an_abandoned_one(settings):
    warehouse = Warehouse(settings)
    migrate(warehouse)
    with warehouse.session() as session:
        hold_lock(session, "other", time.time())
        busy = pytest.raises(WarehouseBusy, match="load other")
        with busy, atomic_load(session, holder_is_sole=False, wait_s=0.3):
            pass
        session.command(render("dml/drop_load_lock.sql", lock=LOCK_TABLE))
        hold_lock(session, "gone", time.time() - STALE_LOCK_S - 1)
        with atomic_load(session, holder_is_sole=False, wait_s=0.3) as swap:
            holder = session.query_df(f"SELECT comment FROM system.tables WHERE name = '{LOCK_TABLE}'")
            assert holder["comment"].iloc[0].startswith(f"load {swap.load_id} ")
    assert load_leftovers(warehouse) == []
