"""ClickHouse credentials with named grants and row policies: one reader per region, one for executives, one
for the Power BI refresh.

Power BI filters per viewer inside the model (its RLS roles on `store_access`); these grants and policies
bound each database credential underneath, so a credential never reads more than it should, whatever a
report or an analyst's SQL asks. They need a ClickHouse server: chdb keeps no users.
"""

from __future__ import annotations

import re
import secrets

from infra.warehouse import Warehouse, read_sql, split_statements

CHAIN_READERS = ("bi_executive", "bi_refresh")


class NeedsServer(RuntimeError):
    """Access control asked of the embedded engine."""


def region_user(region: str) -> str:
    """The credential name of a region: 'North West' -> 'bi_region_north_west'."""
    return "bi_region_" + re.sub(r"[^a-z0-9]+", "_", region.lower()).strip("_")


def security_statements(database: str, regions: list[str], passwords: dict[str, str]) -> list[str]:
    """Every statement `secure` runs, in order, with `passwords` = {user: password} for each credential."""
    statements = split_statements(
        read_sql("security/create_bi_readers.sql").format(
            database=database,
            executive_password=passwords["bi_executive"],
            refresh_password=passwords["bi_refresh"],
        )
    )
    for region in regions:
        user = region_user(region)
        statements += split_statements(
            read_sql("security/create_region_reader.sql").format(
                database=database, user=user, password=passwords[user], region=region.replace("'", "\\'")
            )
        )
    return statements


def secure(warehouse: Warehouse, regions: list[str]) -> dict[str, str]:
    """Create the chain-wide and per-region readers, or give existing ones a new password; returns {user:
    the password it now has}."""
    if not warehouse.is_server:
        raise NeedsServer(
            "row policies need a ClickHouse server (set CLICKHOUSE_URL); "
            "the embedded chdb engine has no users"
        )
    users = [*CHAIN_READERS, *(region_user(r) for r in regions)]
    passwords = {user: secrets.token_urlsafe(18) for user in users}
    with warehouse.session() as session:
        for statement in security_statements(warehouse.database, regions, passwords):
            session.command(statement)
    return passwords
