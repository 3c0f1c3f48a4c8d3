"""One thin interface to the ClickHouse warehouse: embedded chdb by default, a server when CLICKHOUSE_URL is
set.

chdb locks its data directory, and Airflow tasks, the streaming job, the CLI and the report are separate
processes. The sharing rule: a process holds a chdb session only for one unit of work (a load or a query),
under a file lock beside the directory, and waits at most `warehouse_lock_timeout_s` for it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from filelock import FileLock, Timeout

from infra.settings import Settings

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


class WarehouseBusy(RuntimeError):
    """Another process held the chdb directory longer than the configured wait."""


class Session(Protocol):
    def command(self, sql: str) -> None: ...
    def execute(self, statement: str) -> None: ...
    def query_df(self, sql: str) -> pd.DataFrame: ...
    def insert_df(self, table: str, df: pd.DataFrame) -> None: ...


class _ChdbSession:
    def __init__(self, raw: Any, database: str):
        self._raw = raw
        self._raw.query(f"CREATE DATABASE IF NOT EXISTS {database}")
        self._raw.query(f"USE {database}")

    def command(self, sql: str) -> None:
        for statement in split_statements(sql):
            self._raw.query(statement)

    def execute(self, statement: str) -> None:
        """One statement exactly as given (`command` splits a file, which a literal could fool)."""
        self._raw.query(statement)

    def query_df(self, sql: str) -> pd.DataFrame:
        return self._raw.query(sql, "DataFrame")

    def insert_df(self, table: str, df: pd.DataFrame) -> None:
        if df.empty:
            return
        # chdb reads the frame through its Python() table function, by variable name.
        frame = df  # noqa: F841 - referenced by name in the SQL below
        columns = ", ".join(f"`{c}`" for c in df.columns)
        self._raw.query(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM Python(frame)")


class _ServerSession:
    def __init__(self, client: Any):
        self._client = client

    def command(self, sql: str) -> None:
        for statement in split_statements(sql):
            self._client.command(statement)

    def execute(self, statement: str) -> None:
        """One statement exactly as given (`command` splits a file, which a literal could fool)."""
        self._client.command(statement)

    def query_df(self, sql: str) -> pd.DataFrame:
        return self._client.query_df(sql)

    def insert_df(self, table: str, df: pd.DataFrame) -> None:
        if not df.empty:
            self._client.insert_df(table, df)


class Warehouse:
    """Opens a short session per unit of work. Use `with wh.session() as s:` to group statements."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.database = settings.warehouse_database
        self.is_server = bool(settings.clickhouse_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        if self.is_server:
            yield _ServerSession(self._server_client())
            return
        path = self.settings.chdb_path
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path) + ".lock", timeout=self.settings.warehouse_lock_timeout_s)
        try:
            lock.acquire()
        except Timeout as exc:
            raise WarehouseBusy(
                f"chdb directory {path} stayed locked by another process for "
                f"{self.settings.warehouse_lock_timeout_s:.0f}s (SHELFWISE_WAREHOUSE_LOCK_TIMEOUT_S)"
            ) from exc
        try:
            from chdb import session as chdb_session  # lazy: the embedded engine, only when no server is set

            raw = chdb_session.Session(str(path))
            try:
                yield _ChdbSession(raw, self.database)
            finally:
                raw.close()
        finally:
            lock.release()

    def command(self, sql: str) -> None:
        with self.session() as s:
            s.command(sql)

    def query_df(self, sql: str) -> pd.DataFrame:
        with self.session() as s:
            return s.query_df(sql)

    def insert_df(self, table: str, df: pd.DataFrame) -> None:
        with self.session() as s:
            s.insert_df(table, df)

    def _server_client(self) -> Any:
        import clickhouse_connect  # lazy: only for a ClickHouse server

        client = clickhouse_connect.get_client(dsn=self.settings.clickhouse_url)
        client.command(f"CREATE DATABASE IF NOT EXISTS {self.database}")
        client.database = self.database
        return client


def split_statements(sql: str) -> list[str]:
    """Split a SQL file into statements on ';' at line ends (our files never put ';' inside strings)."""
    without_comments = re.sub(r"^\s*--.*$", "", sql, flags=re.MULTILINE)
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", without_comments) if s.strip()]


def read_sql(relative: str) -> str:
    """The text of a file under sql/, e.g. read_sql('ddl/001_create_asset_materializations.sql')."""
    return (SQL_DIR / relative).read_text()


def migrate(warehouse: Warehouse) -> list[str]:
    """Apply every sql/ddl file not yet applied, in name order; returns the names applied now."""
    applied_now: list[str] = []
    with warehouse.session() as s:
        s.command(read_sql("ddl/000_create_schema_migrations.sql"))
        done = set(s.query_df("SELECT name FROM schema_migrations")["name"])
        for path in sorted((SQL_DIR / "ddl").glob("*.sql")):
            if path.name in done:
                continue
            s.command(path.read_text())
            marker = pd.DataFrame({"name": [path.name], "applied_id": [str(uuid.uuid4())]})
            s.insert_df("schema_migrations", marker)
            applied_now.append(path.name)
    return applied_now

