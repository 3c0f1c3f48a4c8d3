"""The checks of test_warehouse.py against a ClickHouse server (CLICKHOUSE_URL), in a throw-away database.

Skipped, with the reason, when CLICKHOUSE_URL is unset: the one tier allowed to skip.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pandas as pd
import pytest

from infra.settings import Settings
from infra.warehouse import SQL_DIR, Warehouse, migrate

pytestmark = pytest.mark.clickhouse_server


@pytest.fixture
def warehouse(settings: Settings) -> Iterator[Warehouse]:
    """A Warehouse on the server named by CLICKHOUSE_URL, in a database dropped afterwards."""
    url = Settings().clickhouse_url  # the environment (or .env), like every other shelfwise process
    if not url:
        pytest.skip("CLICKHOUSE_URL is not set: no ClickHouse server to run the warehouse checks against")
    database = f"shelfwise_test_{uuid.uuid4().hex[:8]}"
    yield Warehouse(settings.model_copy(update={"clickhouse_url": url, "warehouse_database": database}))
    import clickhouse_connect

    clickhouse_connect.get_client(dsn=url).command(f"DROP DATABASE IF EXISTS {database}")


def test_mergetree_table_answers_a_query(warehouse: Warehouse):
    warehouse.command(
        "CREATE TABLE store_sales (store String, sku String, qty Int64)"
        " ENGINE = MergeTree ORDER BY (store, sku)"
    )
    sales = pd.DataFrame(
        {
            "store": [f"store-{i % 7}" for i in range(50)],
            "sku": [f"sku-{i:04d}" for i in range(50)],
            "qty": [1 + i % 5 for i in range(50)],
        }
    )
    warehouse.insert_df("store_sales", sales)

    totals = warehouse.query_df("SELECT store, sum(qty) AS sold FROM store_sales GROUP BY store")

    assert totals.set_index("store")["sold"].to_dict() == sales.groupby("store")["qty"].sum().to_dict()


def test_migrate_is_idempotent(warehouse: Warehouse):
    every_file = sorted(path.name for path in (SQL_DIR / "ddl").glob("*.sql"))

    assert migrate(warehouse) == every_file
    assert migrate(warehouse) == []
    recorded = warehouse.query_df("SELECT name FROM schema_migrations FINAL ORDER BY name")["name"].tolist()
    assert recorded == every_file
