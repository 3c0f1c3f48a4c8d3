"""One load's tables become visible together: per-load staging copies swapped in with EXCHANGE TABLES.

Each table a load touches gets a staging copy `{table}_staging_{load_id}` created from the table's own DDL
(`CREATE TABLE ... AS`). The copy takes every partition the load does not rebuild from the table (ATTACH
PARTITION FROM: hard links, no rows rewritten), and the load writes the rebuilt months into it. Publishing
exchanges each copy with its table (one atomic rename each) and drops the copies, which now hold the old
data. A failure before or during publishing exchanges back whatever was swapped and drops every copy, so
readers keep the old tables whole. Only one load runs at a time per database: the lock is a table that
CREATE TABLE makes or refuses to make (ClickHouse serialises CREATEs of one name), held by chdb and
server loads alike. docs/warehouse_loads.md gives the evidence for each of these guarantees.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from infra.warehouse import Session, WarehouseBusy, read_sql

LOCK_TABLE = "warehouse_load_lock"
STALE_LOCK_S = 3600.0  # a server-side lock older than this belongs to a load that died without releasing it


def render(relative: str, **params) -> str:
    """A sql/ file with its {placeholders} filled in."""
    return read_sql(relative).format_map(params)


def _rows(session: Session, relative: str, **params) -> list[tuple]:
    return list(session.query_df(render(relative, **params)).itertuples(index=False, name=None))


class TableSwap:
    """The staging copies of one load, published together or not at all."""

    def __init__(self, session: Session, load_id: str):
        self.session, self.load_id = session, load_id
        self.staged: dict[str, str] = {}  # table -> its staging copy, in staging order

    def run(self, relative: str, **params) -> None:
        """Run a sql/ file with its placeholders filled in, in this load's session."""
        self.session.command(render(relative, **params))

    def stage(self, table: str, rebuilt_partitions: set[str] | None = None) -> str:
        """A staging copy of `table` holding every partition except `rebuilt_partitions` (None: none kept)."""
        if table in self.staged:
            raise ValueError(f"{table} is staged twice in load {self.load_id}")
        staging = f"{table}_staging_{self.load_id}"
        self.run("dml/create_load_staging.sql", table=table, staging=staging)
        self.staged[table] = staging
        if rebuilt_partitions is not None:
            kept = _rows(self.session, "queries/select_partition_ids.sql", table=table)
            for partition in sorted({p for (p,) in kept} - rebuilt_partitions):
                self.run("dml/copy_kept_partition.sql", table=table, staging=staging, partition_id=partition)
        return staging

    def source(self, table: str) -> str:
        """Where this load's version of `table` is: its staging copy if staged, else the table itself."""
        return self.staged.get(table, table)

    def publish(self) -> None:
        """Exchange every staging copy with its table; on any failure exchange the swapped ones back."""
        swapped: list[str] = []
        try:
            for table, staging in self.staged.items():
                self.run("dml/exchange_staged_table.sql", table=table, staging=staging)
                swapped.append(table)
        except BaseException:
            for table in reversed(swapped):
                self.run("dml/exchange_staged_table.sql", table=table, staging=self.staged[table])
            raise

    def drop_copies(self) -> None:
        for staging in self.staged.values():
            self.run("dml/drop_load_staging.sql", staging=staging)


@contextmanager
def atomic_load(session: Session, *, holder_is_sole: bool, wait_s: float) -> Iterator[TableSwap]:
    """Hold the load lock, yield a TableSwap to stage into, publish it on success, always clean up.

    `holder_is_sole`: the caller already excludes every other loader (chdb's directory lock), so a lock or
    staging table found here was left by a crashed load and is removed at once; on a server only a lock older
    than STALE_LOCK_S is.
    """
    load_id = uuid.uuid4().hex[:12]
    _take_lock(session, load_id, 0.0 if holder_is_sole else STALE_LOCK_S, wait_s)
    try:
        _drop_abandoned_staging(session)
        swap = TableSwap(session, load_id)
        try:
            yield swap
            swap.publish()
        finally:
            swap.drop_copies()
    finally:
        session.command(render("dml/drop_load_lock.sql", lock=LOCK_TABLE))


def _take_lock(session: Session, load_id: str, stale_s: float, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            session.command(
                render("dml/create_load_lock.sql", lock=LOCK_TABLE, load_id=load_id, started=int(time.time()))
            )
            return
        except Exception as exc:  # the server refuses with TABLE_ALREADY_EXISTS while another load holds it
            if "TABLE_ALREADY_EXISTS" not in str(exc) and "already exists" not in str(exc):
                raise
        holder = _rows(session, "queries/select_load_lock.sql", lock=LOCK_TABLE)
        if holder and holder[0][1] >= stale_s:
            session.command(render("dml/drop_load_lock.sql", lock=LOCK_TABLE))
            continue
        if time.monotonic() >= deadline:
            held_by = holder[0][0] if holder else "a load that just finished"
            raise WarehouseBusy(f"another warehouse load holds {LOCK_TABLE} ({held_by}) after {wait_s:.0f}s")
        time.sleep(min(1.0, wait_s / 10 or 0.1))


def _drop_abandoned_staging(session: Session) -> None:
    """Staging copies left by a load that died: only the lock holder makes copies, and it holds none yet."""
    for (staging,) in _rows(session, "queries/select_load_staging_tables.sql"):
        session.command(render("dml/drop_load_staging.sql", staging=staging))
