"""Row policies on a ClickHouse server: a region's credential reads only that region's stores.

chdb has no users, so this tier runs only where CLICKHOUSE_URL names a server (like test_warehouse_server.py);
on chdb we check that asking for policies fails with a clear message instead of silently doing nothing.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pandas as pd
import pytest

from infra.settings import Settings
from infra.warehouse import Warehouse, migrate, read_sql, split_statements
from infra.warehouse_security import NeedsServer, region_user, secure


def test_chdb_refuses_row_policies_clearly(settings: Settings):
    with pytest.raises(NeedsServer, match="need a ClickHouse server"):
        secure(Warehouse(settings), ["North"])


def policies(file: str) -> dict[str, list[tuple[str, str]]]:
    """{table: [(policy name, USING condition)]} of the row policies a sql/security file creates."""
    found: dict[str, list[tuple[str, str]]] = {}
    for statement in split_statements(read_sql(f"security/{file}")):
        match = re.match(r"CREATE ROW POLICY OR REPLACE (\S+) ON (.+?) FOR SELECT USING (.+) TO ", statement)
        if match:
            for table in match.group(2).split(","):
                found.setdefault(table.strip().removeprefix("{database}."), []).append(match.group(1, 3))
    return found


def test_every_store_keyed_fact_table_is_bounded_for_every_credential(settings: Settings):
    """A table without a policy is read whole by every credential: each store-keyed fact needs one per user,
    and the chain-wide cross-sell lists (store_key 'ALL', no dim_store row) stay visible to every region."""
    warehouse = Warehouse(settings)
    migrate(warehouse)
    facts = set(
        warehouse.query_df(
            "SELECT table FROM system.columns WHERE database = currentDatabase() AND name = 'store_key' "
            "AND table LIKE 'fact\\_%' AND table NOT LIKE '%\\_staging'"
        )["table"]
    )
    assert {"fact_sales", "fact_slow_movers", "fact_cross_sell", "fact_sales_anomalies"} <= facts
    executive, region = policies("create_bi_readers.sql"), policies("create_region_reader.sql")
    for table in facts:
        assert [condition for _, condition in executive.get(table, [])] == ["1"], table
        (condition,) = [condition for _, condition in region.get(table, [])] or [None]
        assert condition and "region = '{region}'" in condition, table
    (lists,) = region["fact_cross_sell"]
    assert lists[1].startswith("store_key = 'ALL' OR store_key IN (SELECT store_key FROM"), lists


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
        lists = pd.DataFrame(
            {
                "date": pd.to_datetime(["2026-11-16"] * 3).date,
                "date_key": [20261116] * 3,
                "store_key": ["ALL", "S1", "S2"],
                "product_key": ["P1"] * 3,
                "related_product_key": ["P2"] * 3,
                "rank": [1] * 3,
                "affinity": [0.5] * 3,
                "baskets_together": [3] * 3,
                "method": ["als"] * 3,
            }
        )
        warehouse.insert_df("fact_cross_sell", lists)
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
        read_lists = f"SELECT store_key FROM {database}.fact_cross_sell ORDER BY store_key"
        assert north.query_df(read_lists)["store_key"].tolist() == ["ALL", "S1"], "chain-wide lists for all"
        assert executive.query_df(read_lists)["store_key"].tolist() == ["ALL", "S1", "S2"]
    finally:
        admin = clickhouse_connect.get_client(dsn=url)
        admin.command(f"DROP DATABASE IF EXISTS {database}")
