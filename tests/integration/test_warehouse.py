"""The embedded warehouse (chdb): tables, migrations, and several processes sharing one data directory."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pandas as pd
import pytest

from infra.settings import Settings
from infra.warehouse import SQL_DIR, Warehouse, WarehouseBusy, migrate

REPO = Path(__file__).resolve().parents[2]
WRITES_PER_PROCESS, ROWS_PER_WRITE = 12, 50

CREATE_SALES = """
CREATE TABLE IF NOT EXISTS store_sales (writer String, batch Int32, store String, sku String, qty Int64)
ENGINE = MergeTree ORDER BY (writer, batch, store, sku)
"""


def test_mergetree_table_answers_a_query(settings: Settings):
    warehouse = Warehouse(settings)
    warehouse.command(CREATE_SALES)
    warehouse.insert_df("store_sales", _sales("till", batch=0, rows=ROWS_PER_WRITE))

    totals = warehouse.query_df("SELECT store, sum(qty) AS sold FROM store_sales GROUP BY store")

    expected = _sales("till", batch=0, rows=ROWS_PER_WRITE).groupby("store")["qty"].sum()
    assert totals.set_index("store")["sold"].to_dict() == expected.to_dict()


def test_migrate_is_idempotent(settings: Settings):
    warehouse = Warehouse(settings)
    every_file = sorted(path.name for path in (SQL_DIR / "ddl").glob("*.sql"))

    assert migrate(warehouse) == every_file
    assert migrate(warehouse) == []
    recorded = warehouse.query_df("SELECT name FROM schema_migrations FINAL ORDER BY name")["name"].tolist()
    assert recorded == every_file


def test_two_processes_writing_at_once_both_succeed(settings: Settings, spawn):
    Warehouse(settings).command(CREATE_SALES)
    both_ready = spawn.Barrier(2)
    writers = [
        spawn.Process(target=_write_batches, args=(settings, name, both_ready)) for name in ("north", "south")
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=300)

    assert [writer.exitcode for writer in writers] == [0, 0]
    counts = Warehouse(settings).query_df(
        "SELECT writer, count() AS rows, uniqExact(batch) AS batches FROM store_sales"
        " GROUP BY writer ORDER BY writer"
    )
    assert counts.to_dict("records") == [
        {"writer": name, "rows": WRITES_PER_PROCESS * ROWS_PER_WRITE, "batches": WRITES_PER_PROCESS}
        for name in ("north", "south")
    ]


def test_holder_past_the_timeout_makes_the_other_fail_clearly(settings: Settings, spawn):
    Warehouse(settings).command(CREATE_SALES)
    holding, release = spawn.Event(), spawn.Event()
    holder = spawn.Process(target=_hold_session, args=(settings, holding, release))
    holder.start()
    assert holding.wait(timeout=120), "the holder process never opened its session"
    impatient = settings.model_copy(update={"warehouse_lock_timeout_s": 0.5})

    started = time.monotonic()
    busy = r"stayed locked by another process .* \(SHELFWISE_WAREHOUSE_LOCK_TIMEOUT_S\)"
    with pytest.raises(WarehouseBusy, match=busy) as error:
        Warehouse(impatient).query_df("SELECT count() FROM store_sales")
    waited = time.monotonic() - started
    release.set()
    holder.join(timeout=60)

    assert 0.5 <= waited < 10
    assert str(settings.chdb_path) in str(error.value)
    assert Warehouse(impatient).query_df("SELECT count() AS n FROM store_sales")["n"].tolist() == [0]


@pytest.fixture
def spawn(monkeypatch: pytest.MonkeyPatch):
    """A spawn context whose children can import this module (they unpickle their target from it by name)."""
    monkeypatch.syspath_prepend(str(REPO))
    return multiprocessing.get_context("spawn")


def _sales(writer: str, batch: int, rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "writer": [writer] * rows,
            "batch": [batch] * rows,
            "store": [f"store-{i % 7}" for i in range(rows)],
            "sku": [f"sku-{i:04d}" for i in range(rows)],
            "qty": [1 + i % 5 for i in range(rows)],
        }
    )


def _write_batches(settings: Settings, writer: str, both_ready) -> None:
    warehouse = Warehouse(settings)
    both_ready.wait(timeout=120)
    for batch in range(WRITES_PER_PROCESS):
        warehouse.insert_df("store_sales", _sales(writer, batch, ROWS_PER_WRITE))


def _hold_session(settings: Settings, holding, release) -> None:
    with Warehouse(settings).session() as session:
        session.query_df("SELECT 1")
        holding.set()
        release.wait(timeout=60)
