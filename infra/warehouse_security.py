"""ClickHouse credentials with named grants and row policies: one reader per region, one for executives, one
for the Power BI refresh.

Power BI filters per viewer inside the model (its RLS roles on `store_access`); these grants and policies
bound each database credential underneath, so a credential never reads more than it should, whatever a
report or an analyst's SQL asks. They need a ClickHouse server: chdb keeps no users.

Values reach the SQL two ways only: names (database, users) pass a whitelist or the run stops; strings
(region names, passwords) are quoted as ClickHouse string literals by clickhouse-connect's `format_str`.
"""

from __future__ import annotations

import re
import secrets

from clickhouse_connect.driver.binding import format_str

from infra.warehouse import Warehouse, read_sql, split_statements

CHAIN_READERS = ("bi_executive", "bi_refresh")
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class NeedsServer(RuntimeError):
    """Access control asked of the embedded engine."""


class UnsafeName(ValueError):
    """A database or credential name that is not a plain identifier, or two regions sharing a credential."""


def plain_name(name: str, what: str) -> str:
    """`name` itself when it is a plain identifier (letters, digits, `_`, not starting with a digit)."""
    if not PLAIN_NAME.fullmatch(name):
        raise UnsafeName(f"{what} {name!r} is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63)")
    return name


def region_user(region: str) -> str:
    """The credential name of a region: 'North West' -> 'bi_region_north_west'."""
    slug = re.sub(r"[^a-z0-9]+", "_", region.lower()).strip("_")
    if not slug:
        raise UnsafeName(f"region {region!r} has no ASCII letter or digit to name its credential after")
    return plain_name("bi_region_" + slug, f"the credential of region {region!r}")


def _statements(template: str, **values: str) -> list[str]:
    # Split the file before the values go in: a region name may hold ';' or a line starting with '--'.
    return [statement.format(**values) for statement in split_statements(read_sql(template))]


def security_statements(database: str, regions: list[str], passwords: dict[str, str]) -> list[str]:
    """Every statement `secure` runs, in order, with `passwords` = {user: password} for each credential."""
    database = plain_name(database, "database")
    statements = _statements(
        "security/create_bi_readers.sql",
        database=database,
        executive_password=format_str(passwords["bi_executive"]),
        refresh_password=format_str(passwords["bi_refresh"]),
    )
    owners: dict[str, str] = {}
    for region in regions:
        user = region_user(region)
        if user in owners:
            raise UnsafeName(f"regions {owners[user]!r} and {region!r} would share the credential {user}")
        owners[user] = region
        statements += _statements(
            "security/create_region_reader.sql",
            database=database,
            user=user,
            password=format_str(passwords[user]),
            region=format_str(region),
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
    statements = security_statements(warehouse.database, regions, passwords)
    with warehouse.session() as session:
        for statement in statements:
            session.execute(statement)
    return passwords
