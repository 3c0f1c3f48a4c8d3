"""ClickHouse credentials bounded by row policies: a read-only user per region and one for executives.

Power BI filters per viewer inside the model (its RLS roles on `store_access`); these policies bound each
database credential underneath, so a credential never reads more than it should, whatever a report or an
analyst's SQL asks. They need a ClickHouse server: chdb keeps no users.
"""

from __future__ import annotations

import re
import secrets

from infra.warehouse import Warehouse, read_sql


class NeedsServer(RuntimeError):
    """Access control asked of the embedded engine."""


def region_user(region: str) -> str:
    """The credential name of a region: 'North West' -> 'bi_region_north_west'."""
    return "bi_region_" + re.sub(r"[^a-z0-9]+", "_", region.lower()).strip("_")


def secure(warehouse: Warehouse, regions: list[str]) -> dict[str, str]:
    """Create (or update) the executive and per-region readers; returns {user: new password}."""
    if not warehouse.is_server:
        raise NeedsServer(
            "row policies need a ClickHouse server (set CLICKHOUSE_URL); "
            "the embedded chdb engine has no users"
        )
    database, passwords = warehouse.database, {}
    with warehouse.session() as session:
        passwords["bi_executive"] = secrets.token_urlsafe(18)
        session.command(
            read_sql("security/create_bi_readers.sql").format(
                database=database, password=passwords["bi_executive"]
            )
        )
        for region in regions:
            user = region_user(region)
            passwords[user] = secrets.token_urlsafe(18)
            session.command(
                read_sql("security/create_region_reader.sql").format(
                    database=database, user=user, password=passwords[user], region=region.replace("'", "\\'")
                )
            )
    return passwords
