"""Change detection: which asset partitions are fresh, stale, missing or waiting, and why.

A source partition's data version is observed (its job keeps a {day: version} index). A derived
partition's data version is a hash of its code version and the versions of exactly the input partitions
it reads, so a whole plan can be computed before anything runs and a no-change run reads no data.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assets.graph import AssetGraph, derived_partitions, input_keys
from assets.model import AsOfBuild, AssetSpec, LatestBefore, SameDay, parse_day
from assets.records import InputVersions, Latest

Status = Literal["fresh", "stale", "missing", "waiting"]


@dataclass(frozen=True)
class PartitionPlan:
    key: str
    status: Status
    reason: str
    data_version: str
    input_versions: InputVersions = field(default_factory=dict)

    @property
    def needs_build(self) -> bool:
        return self.status in ("stale", "missing")


@dataclass
class AssetPlan:
    asset: str
    code_version: str
    partitions: list[PartitionPlan]

    def to_build(self) -> list[PartitionPlan]:
        return [p for p in self.partitions if p.needs_build]


def code_version_of(spec: AssetSpec) -> str:
    """The declared code version, else a hash of the job module's source and of every spark.* module it
    imports, directly or through others: editing the ledger helper a job uses makes its asset stale, not only
    editing the job itself. Plumbing (sessions, settings, the submit entry point) does not shape the data."""
    if spec.code_version:
        return spec.code_version
    if callable(spec.job):
        return hashlib.sha256(inspect.getsource(spec.job).encode()).hexdigest()[:12]
    module = spec.job.split(":", 1)[0]
    found = importlib.util.find_spec(module)
    if found is None or found.origin is None:
        raise LookupError(f"asset '{spec.name}': job module '{module}' not found")
    digest = hashlib.sha256()
    for name, path in project_sources(module, Path(found.origin)):
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


PROJECT_PACKAGES = ("spark",)
PLUMBING = frozenset({"spark.session", "spark.context", "spark.submit"})


def project_sources(module: str, origin: Path) -> list[tuple[str, Path]]:
    """(module, file) for `module` and the project modules it imports, transitively, parsed not imported."""
    root = origin.parents[module.count(".") + (origin.name == "__init__.py")]
    seen: dict[str, Path] = {module: origin}
    todo = [module]
    while todo:
        for name in _project_imports(seen[todo.pop()]):
            path = _module_file(root, name)
            if path is not None and name not in seen:
                seen[name] = path
                todo.append(name)
    return sorted(seen.items())


def _project_imports(path: Path) -> set[str]:
    """Absolute imports of project modules in a file (`from m import x` counted as m and m.x)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return {n for n in names if n.split(".")[0] in PROJECT_PACKAGES and n not in PLUMBING}


def _module_file(root: Path, name: str) -> Path | None:
    """The file of a project module under `root`, or None (a name imported from a module, not a module)."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def derived_version(asset: str, key: str, code_version: str, inputs: InputVersions) -> str:
    payload = json.dumps([asset, key, code_version, inputs], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass
class VersionState:
    """The data version every asset partition has (or will have once this plan has run)."""

    versions: dict[str, dict[str, str]] = field(default_factory=dict)
    rejected: dict[str, set[str]] = field(default_factory=dict)  # partitions a gate turned down this run

    def available(self, asset: str) -> list[str]:
        return sorted(self.versions.get(asset, {}))

    def set(self, asset: str, key: str, version: str) -> None:
        self.versions.setdefault(asset, {})[key] = version


def plan_source(spec: AssetSpec, observed: dict[str, str], latest: Latest) -> AssetPlan:
    """Compare a source's observed partition versions with what was last recorded."""
    partitions = []
    for key in sorted(observed):
        record = latest.get((spec.name, key))
        if record is None:
            status, reason = "missing", "new partition ingested"
        elif record.data_version != observed[key]:
            status, reason = "stale", "new or late events ingested"
        else:
            status, reason = "fresh", ""
        partitions.append(PartitionPlan(key, status, reason, observed[key]))
    return AssetPlan(spec.name, "source", partitions)


def plan_derived(
    graph: AssetGraph,
    spec: AssetSpec,
    state: VersionState,
    latest: Latest,
    code_version: str,
    force: Callable[[str], bool] = lambda key: False,
) -> AssetPlan:
    """Plan every partition of a derived asset, in key order (so a previous-day input is known first)."""
    available = {u.asset: state.available(u.asset) for u in spec.upstream if u.asset != spec.name}
    partitions = []
    keys = derived_partitions(graph, spec.name, available)
    for key in keys:
        available[spec.name] = state.available(spec.name)
        plan = _plan_partition(graph, spec, key, available, state, latest, code_version, force(key), keys[0])
        partitions.append(plan)
        if plan.status != "waiting":
            state.set(spec.name, key, plan.data_version)
    return AssetPlan(spec.name, code_version, partitions)


def _plan_partition(
    graph, spec, key, available, state, latest, code_version, forced, series_start
) -> PartitionPlan:
    inputs: InputVersions = {}
    for up in spec.upstream:
        keys = input_keys(spec, up, key, available.get(up.asset, []))
        if rejected := _rejected_input(state, up, key):
            return PartitionPlan(key, "waiting", f"{rejected} was rejected by its gate", "")
        if not keys and not may_be_empty(graph, spec, up, key == series_start):
            return PartitionPlan(key, "waiting", f"no {up.asset} partition for it yet", "")
        if not isinstance(up.mapping, AsOfBuild):  # read as it is now, not a version the partition keeps
            inputs[up.asset] = {k: state.versions[up.asset][k] for k in keys}
    version = derived_version(spec.name, key, code_version, inputs)
    record = latest.get((spec.name, key))
    if record is None:
        return PartitionPlan(key, "missing", "never built", version, inputs)
    if record.code_version != code_version:
        reason = f"code version changed ({record.code_version} -> {code_version})"
        return PartitionPlan(key, "stale", reason, version, inputs)
    if record.input_versions != inputs:
        return PartitionPlan(key, "stale", explain_inputs(record.input_versions, inputs), version, inputs)
    if forced:
        return PartitionPlan(key, "stale", "forced rebuild", version, inputs)
    return PartitionPlan(key, "fresh", "", record.data_version, inputs)


def _rejected_input(state: VersionState, up, key: str) -> str:
    """What a gate turned down that the partition reads: the same day of a source, or a reference dimension's
    current contents ('' when nothing)."""
    rejected = state.rejected.get(up.asset, ())
    if isinstance(up.mapping, SameDay) and key in rejected:
        return f"{up.asset} {key}"
    return up.asset if isinstance(up.mapping, AsOfBuild) and rejected else ""


def may_be_empty(graph: AssetGraph, spec: AssetSpec, up, first_of_series: bool) -> bool:
    """Inputs a partition may build without: its own previous day on the first day of the series only (a
    later day without it would restart the ledger from zero stock, so it waits while that day waits or was
    rejected), a source's day without events (no delivery that day: the day appears, and turns the partition
    stale, if events arrive), and the latest model before the day (the job falls back to a labelled
    baseline)."""
    return (
        (up.asset == spec.name and first_of_series)
        or (graph[up.asset].is_source and isinstance(up.mapping, SameDay))
        or isinstance(up.mapping, LatestBefore)
    )


def explain_inputs(before: InputVersions, now: InputVersions) -> str:
    """Say which upstream partitions differ, e.g. 'raw_sales 2026-02-27 changed'."""
    parts = []
    for asset in sorted(set(before) | set(now)):
        old, new = before.get(asset, {}), now.get(asset, {})
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if changed:
            parts.append(f"{asset} {compress_keys(changed)} changed")
    return "; ".join(parts) or "inputs changed"


def compress_keys(keys: list[str], limit: int = 3) -> str:
    """'2026-03-01..2026-03-31' for consecutive days, several ranges comma-separated."""
    if keys == [""]:
        return "(all)"
    ranges: list[list[str]] = []
    for key in keys:
        if ranges and key and (parse_day(key) - parse_day(ranges[-1][-1])).days == 1:
            ranges[-1].append(key)
        else:
            ranges.append([key])
    text = [r[0] if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in ranges[:limit]]
    more = f" (+{len(ranges) - limit} more)" if len(ranges) > limit else ""
    return ", ".join(text) + more
