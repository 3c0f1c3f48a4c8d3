"""Grants and row policies: every table the DDL creates is either bounded per region or withheld.

What runs where. chdb has no users (CREATE USER / ROW POLICY are refused, and it cannot run a query as
another user), so on chdb these tests prove what the engine allows:
- the statements `secure` runs parse with ClickHouse's own parser (EXPLAIN AST);
- every table and view in system.tables after all migrations, with a store column, is either not granted
  to a region's credential or has a row policy for it (a view: SQL SECURITY INVOKER over policed tables);
  store_access is granted to the refresh credential only; no grant uses a wildcard;
- behaviour: each region policy's own USING expression, evaluated by ClickHouse, filters a copy of every
  table the region is granted; the granted views are re-created over those copies exactly as the DDL
  defines them; reading every granted object then shows only the region's stores.
That ClickHouse enforces policies and grants for a logged-in user is proven only by the server test at the
end (CLICKHOUSE_URL set), as test_warehouse_server.py does.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from urllib.parse import urlsplit

import pandas as pd
import pytest

from infra.settings import Settings
from infra.warehouse import Warehouse, migrate
from infra.warehouse_security import CHAIN_READERS, NeedsServer, region_user, secure, security_statements

REGION, OTHER = "North", "South West"
USER = region_user(REGION)
STORES = {"S1": REGION, "S2": OTHER}
STORE_COLUMN = re.compile(r"^store(_key|_id)?$")


def test_chdb_refuses_row_policies_clearly(settings: Settings):
    with pytest.raises(NeedsServer, match="need a ClickHouse server"):
        secure(Warehouse(settings), [REGION])


class Access:
    """Who may read what, parsed from the statements `secure` runs for one region."""

    def __init__(self, database: str):
        passwords = dict.fromkeys([*CHAIN_READERS, USER], "pw")
        self.statements = security_statements(database, [REGION], passwords)
        self.grants: dict[str, set[str]] = {}
        self.roles: dict[str, set[str]] = {}
        self.policies: dict[tuple[str, str], str] = {}
        for statement in self.statements:
            self._read(statement, database)

    def _read(self, statement: str, database: str) -> None:
        table_grant = re.fullmatch(r"GRANT SELECT ON (\S+) TO (\w+)", statement)
        role_grant = re.fullmatch(r"GRANT (\w+) TO (\w+)", statement)
        policy = re.fullmatch(
            r"CREATE ROW POLICY OR REPLACE \w+ ON (.+?) FOR SELECT USING (.+) TO (.+)", statement
        )
        if table_grant:
            name = table_grant.group(1)
            assert name.startswith(f"{database}.") and "*" not in name, f"grants name tables: {statement}"
            self.grants.setdefault(table_grant.group(2), set()).add(name.removeprefix(f"{database}."))
        elif role_grant:
            self.roles.setdefault(role_grant.group(2), set()).add(role_grant.group(1))
        elif policy:
            for table in policy.group(1).split(","):
                for user in policy.group(3).split(","):
                    key = (table.strip().removeprefix(f"{database}."), user.strip())
                    assert key not in self.policies, f"two policies for {key}"
                    self.policies[key] = policy.group(2)
        else:
            expected = ("CREATE ROLE", "CREATE USER", "ALTER USER")
            assert statement.startswith(expected), f"unexpected: {statement}"

    def readable(self, user: str) -> set[str]:
        tables = set(self.grants.get(user, ()))
        for role in self.roles.get(user, ()):
            tables |= self.grants.get(role, set())
        return tables


def catalog(warehouse: Warehouse) -> pd.DataFrame:
    """Every table and view in the warehouse database: name, engine, definition, its store column (or '')."""
    objects = warehouse.query_df(
        "SELECT name, engine, create_table_query, as_select FROM system.tables "
        "WHERE database = currentDatabase()"
    )
    columns = warehouse.query_df("SELECT table, name FROM system.columns WHERE database = currentDatabase()")
    store = columns[columns["name"].str.fullmatch(STORE_COLUMN)].groupby("table")["name"].first()
    return objects.assign(store_column=objects["name"].map(store).fillna("")).set_index("name")


def read_by_view(view: pd.Series, database: str) -> set[str]:
    return set(re.findall(rf"\b{database}\.(\w+)", view["as_select"]))


@pytest.fixture
def warehouse(settings: Settings) -> Warehouse:
    warehouse = Warehouse(settings)
    migrate(warehouse)
    return warehouse


def test_every_statement_parses_in_clickhouse(warehouse: Warehouse):
    access = Access(warehouse.database)
    assert len(access.statements) > 20
    with warehouse.session() as session:
        for statement in access.statements:
            session.query_df(f"EXPLAIN AST {statement}")


def test_every_table_with_store_rows_is_policed_or_withheld(warehouse: Warehouse):
    """The enumeration comes from the engine (system.tables after every migration), so a new table with a
    store column fails here until it is withheld or policed."""
    database, access, tables = warehouse.database, Access(warehouse.database), catalog(warehouse)
    store_level = set(tables.index[tables["store_column"] != ""])
    assert {"fact_sales", "store_access", "inventory_live", "forecast_vs_actual"} <= store_level
    for user in (USER, *CHAIN_READERS):
        missing = access.readable(user) - set(tables.index)
        assert not missing, f"{user} is granted tables that do not exist: {missing}"
    region_reads = access.readable(USER)
    for name in sorted(store_level & region_reads):
        if tables.at[name, "engine"] == "View":
            assert "SQL SECURITY INVOKER" in tables.at[name, "create_table_query"], (
                f"{name}: reader's policies"
            )
            under = read_by_view(tables.loc[name], database)
            assert under and under <= region_reads, f"{name} reads {under - region_reads}"
            unpoliced = {t for t in under & store_level if (t, USER) not in access.policies}
            assert not unpoliced, f"view {name} reads store rows without a policy: {unpoliced}"
        else:
            assert (name, USER) in access.policies, f"{name}: store rows readable by {USER} with no policy"
    for (name, user), condition in access.policies.items():
        if user == USER:
            assert f"'{REGION}'" in condition, (name, condition)
            for chain_reader in CHAIN_READERS:
                assert access.policies.get((name, chain_reader)) == "1", f"{chain_reader} on {name}"
    readers = {u for u in (USER, *CHAIN_READERS) if "store_access" in access.readable(u)}
    assert readers == {"bi_refresh"}, "only the refresh credential reads store_access"
    assert not access.readable(USER) & {"dq_results", "inventory_live", "inventory_live_current"}


def seed_two_regions(warehouse: Warehouse, tables: pd.DataFrame) -> None:
    """Rows for a store of each region (8 days, other columns at their defaults) in every store table."""
    days = [date(2026, 3, 2) + timedelta(days=i) for i in range(8)]
    with warehouse.session() as session:
        for name, table in tables.iterrows():
            if table["engine"] == "View" or not table["store_column"] or name.endswith("_staging"):
                continue
            columns = set(
                session.query_df(
                    f"SELECT name FROM system.columns WHERE table = '{name}' AND database = currentDatabase()"
                )["name"]
            )
            keys = [*STORES, "ALL"] if name == "fact_cross_sell" else list(STORES)
            rows = pd.DataFrame([{table["store_column"]: s, "date": d} for s in keys for d in days])
            if name == "dim_store":
                rows = pd.DataFrame({"store_key": list(STORES), "region": list(STORES.values())})
            session.insert_df(name, rows[[c for c in rows.columns if c in columns]])


def test_a_region_reading_every_granted_table_sees_only_its_stores(warehouse: Warehouse):
    """The region's USING expressions filter a copy of each granted table in a scratch database; the
    granted views are re-created on the copies from their own definition; every object is then read."""
    database, access, tables = warehouse.database, Access(warehouse.database), catalog(warehouse)
    seed_two_regions(warehouse, tables)
    scratch, granted = f"as_{USER}", access.readable(USER)
    with warehouse.session() as session:
        session.command(f"CREATE DATABASE {scratch}")
        for name in sorted(granted):
            if tables.at[name, "engine"] != "View":
                condition = access.policies.get((name, USER), "1")
                session.command(f"CREATE TABLE {scratch}.{name} AS {database}.{name}")
                session.command(
                    f"INSERT INTO {scratch}.{name} SELECT * FROM {database}.{name} WHERE {condition}"
                )
        for name in sorted(granted):
            if tables.at[name, "engine"] == "View":
                body = re.sub(rf"\b{database}\.", f"{scratch}.", tables.at[name, "as_select"])
                session.command(f"CREATE VIEW {scratch}.{name} AS {body}")
        for name in sorted(granted):
            column = tables.at[name, "store_column"]
            if not column:
                continue
            seen = set(session.query_df(f"SELECT DISTINCT {column} AS s FROM {scratch}.{name}")["s"])
            everything = set(session.query_df(f"SELECT DISTINCT {column} AS s FROM {database}.{name}")["s"])
            assert everything >= set(STORES), f"{name}: the seed reaches both regions"
            assert "S1" in seen and not seen - {"S1", "ALL"}, f"{name}: {USER} reads stores {seen}"


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
        seed_two_regions(warehouse, catalog(warehouse))
        earlier = secure(warehouse, [REGION])
        passwords = secure(warehouse, [REGION])  # a rerun: existing users, new passwords
        parts = urlsplit(url)

        def client(user: str, password: str | None = None):
            password = password or passwords[user]
            return clickhouse_connect.get_client(
                host=parts.hostname, port=parts.port or 8123, username=user, password=password
            )

        for user in (USER, *CHAIN_READERS):
            with pytest.raises(Exception, match="AUTHENTICATION_FAILED|Authentication failed"):
                client(user, earlier[user])

        north, executive, refresh = client(USER), client("bi_executive"), client("bi_refresh")
        for name in sorted(Access(database).readable(USER)):
            stores = set(north.query_df(f"SELECT * FROM {database}.{name}").get("store_key", []))
            assert not stores - {"S1", "ALL"}, f"{name}: {stores}"
        assert sorted(executive.query_df(f"SELECT store_key FROM {database}.dim_store")["store_key"]) == [
            "S1",
            "S2",
        ]
        with pytest.raises(Exception, match="ACCESS_DENIED|Not enough privileges"):
            north.query_df(f"SELECT * FROM {database}.store_access")
        refresh.query_df(f"SELECT * FROM {database}.store_access")
    finally:
        admin = clickhouse_connect.get_client(dsn=url)
        admin.command(f"DROP DATABASE IF EXISTS {database}")
