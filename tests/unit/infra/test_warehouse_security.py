"""What `shelfwise warehouse secure` sends to ClickHouse, read back by ClickHouse's own parser (chdb).

chdb has no users, so it cannot run these statements; it parses them (formatQuery).
"""

from __future__ import annotations

import re

import pandas as pd

from infra.warehouse_security import CHAIN_READERS, region_user, security_statements

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
