"""The neutral asset graph: validation, dependency order and partition sets. Imports nothing from Airflow."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from assets.model import (
    UNPARTITIONED,
    AllPartitions,
    AllUpTo,
    AsOfBuild,
    AssetSpec,
    LatestBefore,
    PreviousDay,
    SameDay,
    TrailingWindow,
    Upstream,
    day_key,
    parse_day,
    week_start,
)


class GraphError(ValueError):
    """A declaration problem, worded so that a person can fix it."""


@dataclass(frozen=True)
class AssetGraph:
    """Validated declarations in dependency order (upstream first, ties broken by name)."""

    assets: Mapping[str, AssetSpec]
    order: tuple[str, ...]

    def __getitem__(self, name: str) -> AssetSpec:
        return self.assets[name]

    def downstream(self, name: str) -> tuple[str, ...]:
        """Direct consumers of `name` (itself excluded)."""
        return tuple(
            a for a in self.order if a != name and name in self.assets[a].upstream_names
        )

    def descendants(self, names: Iterable[str]) -> set[str]:
        """Every asset that reads, directly or not, from one of `names` (the names themselves included)."""
        found = set(names)
        for a in self.order:
            if any(u in found for u in self.assets[a].upstream_names if u != a):
                found.add(a)
        return found

    def ancestors(self, names: Iterable[str]) -> set[str]:
        found = set(names)
        for a in reversed(self.order):
            if a in found:
                found.update(u for u in self.assets[a].upstream_names)
        return found

    def edges(self) -> list[tuple[str, str]]:
        return [(u, a) for a in self.order for u in self.assets[a].upstream_names if u != a]


def build_graph(specs: Iterable[AssetSpec]) -> AssetGraph:
    """Check the declarations and sort them; raises GraphError naming what to change."""
    by_name: dict[str, AssetSpec] = {}
    for spec in specs:
        if spec.name in by_name:
            raise GraphError(f"duplicate asset name '{spec.name}': each asset is declared once")
        by_name[spec.name] = spec
    for spec in by_name.values():
        for up in spec.upstream:
            _check_upstream_exists(spec, up, by_name)
            _check_mapping(spec, up, by_name[up.asset])
    return AssetGraph(assets=dict(by_name), order=_topological_order(by_name))


def _check_upstream_exists(spec: AssetSpec, up: Upstream, by_name: Mapping[str, AssetSpec]) -> None:
    if up.asset in by_name:
        return
    close = difflib.get_close_matches(up.asset, list(by_name), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise GraphError(f"asset '{spec.name}' reads unknown upstream '{up.asset}'{hint}")


def _check_mapping(spec: AssetSpec, up: Upstream, upstream: AssetSpec) -> None:
    mapping, here, there = up.mapping, spec.partitioning, upstream.partitioning
    problem = None
    if up.asset == spec.name and not isinstance(mapping, PreviousDay):
        problem = "an asset may read only its own previous day (previous_day), not itself"
    elif isinstance(mapping, TrailingWindow | PreviousDay) and (here, there) != ("daily", "daily"):
        problem = f"{type(mapping).__name__} maps daily partitions onto daily partitions"
    elif isinstance(mapping, SameDay) and there != "none" and here != there:
        problem = "same-day mapping needs both assets partitioned alike (or an unpartitioned upstream)"
    elif isinstance(mapping, AllUpTo) and (here == "none" or there != "daily"):
        problem = "all_up_to maps a daily upstream onto a daily or weekly asset"
    elif isinstance(mapping, LatestBefore) and (here != "daily" or there != "weekly"):
        problem = "latest_before maps a weekly upstream onto a daily asset"
    elif isinstance(mapping, AllPartitions) and here != "none":
        problem = "AllPartitions feeds an unpartitioned asset"
    elif isinstance(mapping, AsOfBuild) and there != "none":
        problem = "as_of_build reads an unpartitioned upstream (a reference dimension)"
    if problem:
        raise GraphError(
            f"asset '{spec.name}' ({here}) reads '{up.asset}' ({there}) with an incompatible "
            f"partition mapping: {problem}"
        )


def _topological_order(by_name: Mapping[str, AssetSpec]) -> tuple[str, ...]:
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            cycle = path[path.index(name):]
            raise GraphError("dependency cycle (each reads the next): " + " -> ".join(cycle))
        state[name] = "active"
        for up in sorted(u for u in by_name[name].upstream_names if u != name):
            visit(up, path + [up])
        state[name] = "done"
        order.append(name)

    for name in sorted(by_name):
        visit(name, [name])
    return tuple(order)


# --- Partition sets ---------------------------------------------------------------------------------------


def cutoff_of(spec: AssetSpec, key: str) -> str:
    """The last day of source data a partition may read: the day itself, or the week's Sunday."""
    if spec.partitioning == "weekly":
        return day_key(parse_day(key) + timedelta(days=6))
    return key


def derived_partitions(graph: AssetGraph, name: str, available: Mapping[str, list[str]]) -> list[str]:
    """The partitions a derived asset has, given its inputs' partitions (sorted keys).

    Daily: every day from the first to the last day any daily input holds. Weekly: every complete week
    (Monday key) inside that span. Unpartitioned: one partition once any input has data.
    """
    spec = graph[name]
    inputs = [u.asset for u in spec.tracked_upstream if u.asset != name]
    if spec.partitioning == "none":
        return [UNPARTITIONED] if any(available.get(u) for u in inputs) else []
    days = sorted(
        {k for u in inputs if graph[u].partitioning == "daily" for k in available.get(u, [])}
    )
    if not days:
        return []
    first, last = parse_day(days[0]), parse_day(days[-1])
    if spec.partitioning == "daily":
        return [day_key(first + timedelta(days=i)) for i in range((last - first).days + 1)]
    weeks, monday = [], week_start(first)
    while monday + timedelta(days=6) <= last:
        weeks.append(day_key(monday))
        monday += timedelta(days=7)
    return weeks


def input_keys(spec: AssetSpec, up: Upstream, key: str, available: list[str]) -> list[str]:
    """Which partitions of upstream `up` the partition `key` of `spec` reads."""
    return up.mapping.upstream_keys(key, cutoff_of(spec, key), available)
