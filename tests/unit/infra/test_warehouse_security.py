"""What `shelfwise warehouse secure` sends to ClickHouse, read back by ClickHouse's own parser (chdb).

chdb has no users, so it cannot run these statements; it parses them (EXPLAIN AST, formatQuery) and it
evaluates a row policy's USING expression over a table, which shows the region literal as ClickHouse reads it.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from infra.settings import Settings
from infra.warehouse import Warehouse
from infra.warehouse_security import CHAIN_READERS, UnsafeName, region_user, security_statements

HOSTILE_REGIONS = [
    "O'Brien's Corner",
    "North\\",
    "back\\'slash",
    "'; DROP TABLE x; --",
    "North;\n-- x\nSouth",
    "tab\there\rand\x00nul",
    "\u202eNorth",
    "North 🛒🥫",
    "<script>alert(1)</script>",
]
AUTHENTICATION = re.compile(
    r"(CREATE USER(?: IF NOT EXISTS| OR REPLACE)?|ALTER USER) (\w+) "
    r"IDENTIFIED WITH sha256_password BY '([^'\\]*)'"
)


def canonical(statements: list[str]) -> list[str]:
    """Each statement as ClickHouse's formatter prints it (the frame is read by name, unquoted)."""
    import chdb

    frame = pd.DataFrame({"sql": statements})  # noqa: F841 - read by chdb's Python() table function
    return list(chdb.query("SELECT formatQuerySingleLine(sql) AS f FROM Python(frame)", "DataFrame")["f"])


def password_after(statements: list[str], user: str, existed: str | None) -> str | None:
    """The password `user` holds after `statements` on a server where it had `existed` (None: no user), by
    the documented meaning of each form: IF NOT EXISTS leaves an existing user alone, OR REPLACE and ALTER set
    the password."""
    password = existed
    for statement in statements:
        found = AUTHENTICATION.fullmatch(statement)
        if not found or found.group(2) != user:
            continue
        kind, new = found.group(1), found.group(3)
        if kind == "ALTER USER":
            assert password is not None, f"ALTER USER {user} before the user exists"
            password = new
        elif kind != "CREATE USER IF NOT EXISTS" or password is None:
            password = new
    return password


def passwords_for(regions: list[str], run: str) -> dict[str, str]:
    return {user: f"{run}-{user}" for user in [*CHAIN_READERS, *map(region_user, regions)]}


def test_every_run_sets_the_password_it_prints():
    """A rerun over existing users leaves each with the new password, as the first run does for new ones."""
    regions = ["North", "South West"]
    first, second = passwords_for(regions, "first"), passwords_for(regions, "second")
    statements = canonical(security_statements("shelfwise", regions, second))
    parsed = {found.group(2) for found in map(AUTHENTICATION.fullmatch, statements) if found}
    assert parsed == set(second), "every credential's password statement is read"
    for user, password in second.items():
        assert password_after(statements, user, existed=None) == password, f"{user}, first run"
        assert password_after(statements, user, existed=first[user]) == password, f"{user}, on rerun"


@pytest.fixture(scope="module")
def regions_table(tmp_path_factory) -> Warehouse:
    """A chdb warehouse whose dim_store holds each hostile region's store, its near misses and 'South'."""
    from tests.conftest import isolated_settings

    settings: Settings = isolated_settings(tmp_path_factory.mktemp("security") / "home")
    warehouse = Warehouse(settings)
    rows = [("S-South", "South")]
    for i, region in enumerate(HOSTILE_REGIONS):
        near = {region[:-1], region + " ", region.replace("\\", ""), region.encode("unicode_escape").decode()}
        rows += [(f"S{i}", region)] + [(f"S{i}-near-{j}", n) for j, n in enumerate(sorted(near - {region}))]
    with warehouse.session() as session:
        session.command(
            "CREATE TABLE dim_store (store_key String, region String) ENGINE = MergeTree ORDER BY store_key"
        )
        session.insert_df("dim_store", pd.DataFrame(rows, columns=["store_key", "region"]))
    return warehouse


@pytest.mark.parametrize("region", HOSTILE_REGIONS, ids=lambda r: r.encode("unicode_escape").decode()[:24])
def test_a_hostile_region_name_reaches_clickhouse_exactly(regions_table: Warehouse, region: str):
    """Each statement parses as one statement, as many as for a plain name, and every region policy, evaluated
    by ClickHouse, keeps exactly that region's store: the literal it parsed is the name, byte for byte."""
    database, user = regions_table.database, region_user(region)
    statements = security_statements(database, [region, "South"], passwords_for([region, "South"], "pw"))
    plain = security_statements(database, ["North", "South"], passwords_for(["North", "South"], "pw"))
    assert len(statements) == len(plain)
    policies = [s for s in statements if s.startswith(f"CREATE ROW POLICY OR REPLACE {user}_")]
    assert len(policies) == 3
    with regions_table.session() as session:
        for statement in statements:
            session.query_df(f"EXPLAIN AST {statement}")  # one statement, or ClickHouse refuses it
        for statement in policies:
            _, _, condition = statement.partition(" FOR SELECT USING ")
            assert condition.endswith(f" TO {user}"), statement
            condition = condition.removesuffix(f" TO {user}")
            kept = session.query_df(f"SELECT store_key FROM dim_store WHERE {condition}")["store_key"]
            assert list(kept) == [f"S{HOSTILE_REGIONS.index(region)}"], statement


def test_names_that_are_not_plain_identifiers_stop_the_run():
    passwords = passwords_for(["North"], "pw")
    with pytest.raises(UnsafeName, match="database 'shelfwise; DROP TABLE x' is not a plain identifier"):
        security_statements("shelfwise; DROP TABLE x", ["North"], passwords)
    with pytest.raises(UnsafeName, match="no ASCII letter or digit"):
        region_user("🛒🥫")
    with pytest.raises(UnsafeName, match="'North' and 'north!' would share the credential bi_region_north"):
        security_statements("shelfwise", ["North", "north!"], passwords)
