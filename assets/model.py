"""The typed shape of an asset declaration. Plain frozen dataclasses: importing this opens nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

Partitioning = Literal["daily", "weekly", "none"]
UNPARTITIONED = ""


def parse_day(key: str) -> date:
    return date.fromisoformat(key)


def checked_day(text: str, what: str = "day") -> str:
    """`text` if it is a calendar day written YYYY-MM-DD, else a ValueError naming `what` and the form.

    Partition keys are compared as strings, so '2026-3-1' would silently select nothing: refuse it.
    """
    well_formed = len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit()
    try:
        if well_formed and date.fromisoformat(text).isoformat() == text:
            return text
    except ValueError:
        pass
    raise ValueError(f"{what} {text!r} is not a calendar day written YYYY-MM-DD (e.g. 2026-03-01)")


def day_key(d: date) -> str:
    return d.isoformat()


def week_start(d: date) -> date:
    """The Monday of d's week: weekly partitions are keyed by it."""
    return d - timedelta(days=d.weekday())


# --- How a partition of an asset maps to partitions of one upstream --------------------------------------


@dataclass(frozen=True)
class SameDay:
    """Day D reads the upstream's day D (or, from an unpartitioned upstream, its single partition)."""

    def upstream_keys(self, key: str, cutoff: str, available: list[str]) -> list[str]:
        if available == [UNPARTITIONED]:
            return available
        return [key] if key in set(available) else []


@dataclass(frozen=True)
class TrailingWindow:
    """Day D reads the upstream days D-(days-1) .. D, e.g. a 90-day rolling feature."""

    days: int

    def upstream_keys(self, key: str, cutoff: str, available: list[str]) -> list[str]:
        end = parse_day(key)
        start = day_key(end - timedelta(days=self.days - 1))
        keys = [k for k in available if start <= k <= key]
        # Days before the upstream's history are simply absent; a hole inside it (a day never built, or one
        # its gate rejected) would silently bias a rolling statistic, so the window waits for it instead.
        first = parse_day(max(available[0], start)) if keys else end
        return keys if len(keys) == (end - first).days + 1 else []


@dataclass(frozen=True)
class PreviousDay:
    """Day D reads the upstream's day D-1: how an asset depends on its own previous partition."""

    def upstream_keys(self, key: str, cutoff: str, available: list[str]) -> list[str]:
        previous = day_key(parse_day(key) - timedelta(days=1))
        return [previous] if previous in set(available) else []


@dataclass(frozen=True)
class AllUpTo:
    """Partition P reads every upstream day up to P's cutoff (the last day of P's week for weekly P)."""

    def upstream_keys(self, key: str, cutoff: str, available: list[str]) -> list[str]:
        return [k for k in available if k <= cutoff]


@dataclass(frozen=True)
class LatestBefore:
    """Day D reads the newest upstream partition whose cutoff lies before D (a model trained on the past)."""

    def upstream_keys(self, key: str, cutoff: str, available: list[str]) -> list[str]:
        if available == [UNPARTITIONED]:
            return available
        earlier = [k for k in available if day_key(parse_day(k) + timedelta(days=6)) < key]
        return earlier[-1:]


@dataclass(frozen=True)
class AllPartitions:
    """An unpartitioned asset reads every partition of the upstream."""

    def upstream_keys(self, key: str, cutoff: str, available: list[str]) -> list[str]:
        return list(available)


@dataclass(frozen=True)
class AsOfBuild:
    """P reads an unpartitioned upstream (a reference dimension) as it is when P is built. Its version is not
    one of P's inputs: a store opening today must not rebuild last year's days, while every partition built
    from now on reads the new rows. P waits while it is missing or its gate rejected its current contents."""

    def upstream_keys(self, key: str, cutoff: str, available: list[str]) -> list[str]:
        return available[-1:]


PartitionMapping = SameDay | TrailingWindow | PreviousDay | AllUpTo | LatestBefore | AllPartitions | AsOfBuild


# --- Where an asset lives ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lake:
    """Parquet under the lake root, partitioned by `date=YYYY-MM-DD/` when the asset is partitioned."""

    path: str


@dataclass(frozen=True)
class ModelRegistry:
    """Versioned model directories under the lake (`models/demand/vN/`)."""

    path: str


Storage = Lake | ModelRegistry


# --- Checks and objectives --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """The Great Expectations suite (expectations/suites/<suite>.json) validated after each build; the
    asset's own name when left empty."""

    suite: str = ""


@dataclass(frozen=True)
class WarehouseTable:
    """Where published partitions are loaded: `table` (created by sql/ddl) from the rows `rows` shapes out of
    the asset's partitions ("module:function" taking (settings, frame) and returning the table's rows).
    `dimensions`: refresh dim_store, dim_product and dim_date in the same load (facts that report by them)."""

    table: str
    rows: str
    dimensions: bool = False


@dataclass(frozen=True)
class Freshness:
    """At most `max_lag_minutes` behind now, and/or built by `ready_by` (HH:MM store time) each day."""

    max_lag_minutes: int | None = None
    ready_by: str | None = None


@dataclass(frozen=True)
class Alerts:
    """Rows someone must act on, sent to a Kafka topic once they pass the gate: those whose `column` holds
    one of `values`, keyed by `key` (per-store order), identified by `id_column` so consumers can drop the
    repeats a rebuilt partition sends again. Only days at most `max_age_days` old are sent (None: every day),
    so a backfill of last year does not page anyone."""

    topic: str
    column: str
    values: tuple[str, ...]
    key: str = "store_id"
    id_column: str = "prediction_id"
    max_age_days: int | None = 3


@dataclass(frozen=True)
class Upstream:
    """One input of an asset and how its partitions map onto the asset's."""

    asset: str
    mapping: PartitionMapping = field(default_factory=SameDay)


def window(asset: str, days: int) -> Upstream:
    return Upstream(asset, TrailingWindow(days))


def previous_day(asset: str) -> Upstream:
    return Upstream(asset, PreviousDay())


def all_up_to(asset: str) -> Upstream:
    return Upstream(asset, AllUpTo())


def latest_before(asset: str) -> Upstream:
    return Upstream(asset, LatestBefore())


def as_of_build(asset: str) -> Upstream:
    return Upstream(asset, AsOfBuild())


@dataclass(frozen=True)
class AssetSpec:
    """One dataset: what it is, what it needs, where it lives, how it is built and checked.

    `job` is a "module:function" path under spark/ (imported only when the asset is built), or the
    function itself (handy for small graphs in tests). Its parts (job, suite, contract, warehouse table and
    loader) are checked to exist when the catalog loads (assets/parts.py).
    A source asset (no upstream but reference dimensions read as of build) is built by a job that ingests
    from outside and reports the partitions it holds; a derived asset's data version follows from its code
    version and its tracked inputs' versions.
    """

    name: str
    description: str
    job: str | Callable
    storage: Storage
    upstream: tuple[Upstream | str, ...] = ()
    partitioning: Partitioning = "daily"
    gate: Gate | None = None
    contract: str | None = None  # the pandera contract in spark/contracts.py the job's output must meet
    warehouse: WarehouseTable | None = None
    alerts: Alerts | None = None
    code_version: str | None = None
    freshness: Freshness | None = None
    owner: str = ""
    tags: tuple[str, ...] = ()
    retries: int | None = None
    # How long its Airflow check waits for upstream partitions it reads to be built before it fails, naming
    # them (a paused or stuck upstream); None: the platform default (assets/definitions.py).
    max_wait_minutes: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "upstream", tuple(as_upstream(u) for u in self.upstream))
        if self.gate is not None and not self.gate.suite:
            object.__setattr__(self, "gate", Gate(self.name))

    @property
    def tracked_upstream(self) -> tuple[Upstream, ...]:
        """The inputs whose versions make this asset's partitions stale (all but those read as of build)."""
        return tuple(u for u in self.upstream if not isinstance(u.mapping, AsOfBuild))

    @property
    def as_of_build_names(self) -> tuple[str, ...]:
        """The reference dimensions it reads as of build (in no version, no schedule)."""
        return tuple(u.asset for u in self.upstream if isinstance(u.mapping, AsOfBuild))

    @property
    def is_source(self) -> bool:
        return not self.tracked_upstream

    @property
    def staged(self) -> bool:
        """Whether a build writes to a staging folder its gate checks before publish moves it into place:
        derived assets in the lake. A source lands what arrived; a model registry promotes its champion."""
        return isinstance(self.storage, Lake) and not self.is_source

    @property
    def upstream_names(self) -> tuple[str, ...]:
        return tuple(u.asset for u in self.upstream)

    def inputs(self, exclude_self: bool = False) -> tuple[Upstream, ...]:
        return tuple(u for u in self.upstream if not (exclude_self and u.asset == self.name))


def as_upstream(item: str | Upstream) -> Upstream:
    return item if isinstance(item, Upstream) else Upstream(item)
