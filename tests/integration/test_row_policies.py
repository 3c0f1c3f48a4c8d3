"""Row policies on a ClickHouse server: a region's credential reads only that region's stores.

chdb has no users, so this tier runs only where CLICKHOUSE_URL names a server (like test_warehouse_server.py);
on chdb we check that asking for policies fails with a clear message instead of silently doing nothing.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pandas as pd
import pytest

from infra.settings import Settings
from infra.warehouse import Warehouse, migrate
from infra.warehouse_security import NeedsServer, region_user, secure


def test_chdb_refuses_row_policies_clearly(settings: Settings):
    with pytest.raises(NeedsServer, match="need a ClickHouse server"):
        secure(Warehouse(settings), ["North"])


@pytest.mark.clickhouse_server
def test_region_reader_sees_only_its_region(settings: Settings):
    url = Settings().clickhouse_url
    if not url:
        pytest.skip("CLICKHOUSE_URL is not set: no ClickHouse server to create users on")
    import clickhouse_connect

    database = f"shelfwise_test_{uuid.uuid4().hex[:8]}"
    warehouse = Warehouse(settings.model_copy(update={"clickhouse_url": url, "warehouse_database": database}))
    try:
        migrate(warehouse)
        warehouse.insert_df(
            "dim_store",
            pd.DataFrame(
                {
                    "store_key": ["S1", "S2"],
                    "store_id": ["S1", "S2"],
                    "name": ["Leeds", "Bristol"],
                    "city": ["Leeds", "Bristol"],
                    "region": ["North", "South West"],
                    "country": ["GB", "GB"],
                    "square_footage": [9000, 12000],
                    "store_type": ["supermarket"] * 2,
                    "opens_at_hour": [8, 8],
                    "closes_at_hour": [21, 21],
                }
            ),
        )
        passwords = secure(warehouse, ["North"])
        parts = urlsplit(url)
        north = clickhouse_connect.get_client(
            host=parts.hostname,
            port=parts.port or 8123,
            username=region_user("North"),
            password=passwords[region_user("North")],
        )
        executive = clickhouse_connect.get_client(
            host=parts.hostname,
            port=parts.port or 8123,
            username="bi_executive",
            password=passwords["bi_executive"],
        )
        assert north.query_df(f"SELECT store_key FROM {database}.dim_store")["store_key"].tolist() == ["S1"]
        assert sorted(executive.query_df(f"SELECT store_key FROM {database}.dim_store")["store_key"]) == [
            "S1",
            "S2",
        ]
    finally:
        admin = clickhouse_connect.get_client(dsn=url)
        admin.command(f"DROP DATABASE IF EXISTS {database}")
