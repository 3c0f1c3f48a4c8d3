"""The local runner: plan what is stale, build it in dependency order, gate it, record it.

The Airflow DAGs use the same steps (`check`, `build`, `gate`, `record`), one asset per DAG.
"""

from __future__ import annotations

import importlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from rich.console import Console

from assets.graph import AssetGraph
from assets.model import AssetSpec, PreviousDay, checked_day
from assets.records import Latest, MaterializationStore, Record
from assets.versions import (
    AssetPlan,
    PartitionPlan,
    VersionState,
    code_version_of,
    plan_derived,
    plan_source,
)
from infra.lake import read_partition_versions
from infra.settings import Settings
from infra.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    """Which assets and partitions a run may build.

    `assets` empty means every asset. The day range and `force` apply to the named assets; with
    `downstream`, everything that reads from them is included too and rebuilt wherever it turns stale.
    """

    assets: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    force: bool = False
    downstream: bool = False

    def __post_init__(self) -> None:
        for what, day in (("--from / date_from", self.date_from), ("--to / date_to", self.date_to)):
            if day is not None:
                checked_day(day, what)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"empty range: {self.date_from} is after {self.date_to}")

    def resolve(self, graph: AssetGraph) -> tuple[set[str], set[str]]:
        """(assets the run may build, assets the range and force apply to)."""
        unknown = [a for a in self.assets if a not in graph.assets]
        if unknown:
            raise KeyError(f"unknown asset(s): {', '.join(unknown)}; known: {', '.join(graph.order)}")
        named = set(self.assets) or set(graph.order)
        return (graph.descendants(named) if self.downstream else named), named

    def in_range(self, key: str) -> bool:
        if not key:
            return True
        return (self.date_from is None or key >= self.date_from) and (
            self.date_to is None or key <= self.date_to
        )


@dataclass
class AssetOutcome:
    asset: str
    built: list[str] = field(default_factory=list)
    fresh: int = 0
    failed: list[str] = field(default_factory=list)
    waiting: int = 0
    seconds: float = 0.0
    message: str = ""


@dataclass
class RunReport:
    run_id: str
    outcomes: list[AssetOutcome]

    @property
    def up_to_date(self) -> bool:
        return not any(o.built or o.failed for o in self.outcomes)

    @property
    def failed(self) -> list[AssetOutcome]:
        return [o for o in self.outcomes if o.failed]


class Runner:
    """Plans and materializes the asset graph against one settings object (lake, warehouse, Spark)."""

    def __init__(self, graph: AssetGraph, settings: Settings, console: Console | None = None):
        self.graph = graph
        self.settings = settings
        self.console = console or Console(stderr=True)
        self.store = MaterializationStore(Warehouse(settings))

    # --- planning -----------------------------------------------------------------------------------------

    def plan(self, selection: Selection = Selection()) -> dict[str, AssetPlan]:
        """What a materialization would do, without running anything (sources are observed, not ingested)."""
        latest = self.store.latest_successes()
        buildable, named = selection.resolve(self.graph)
        state, plans = VersionState(), {}
        for name in self.graph.order:
            spec = self.graph[name]
            if spec.is_source:
                plans[name] = plan_source(spec, self.observe(spec), latest)
                state.versions[name] = {p.key: p.data_version for p in plans[name].partitions}
                continue
            plans[name] = self._plan_derived(spec, state, latest, selection, named)
            chosen = self._chosen(plans[name], name in buildable, selection, name in named)
            settle(state, plans[name], {p.key for p in chosen}, latest)
        return plans

    def observe(self, spec: AssetSpec) -> dict[str, str]:
        return read_partition_versions(self.settings, spec.storage.path)

    def _plan_derived(self, spec, state, latest, selection, named) -> AssetPlan:
        force = (lambda key: selection.in_range(key)) if (selection.force and spec.name in named) else None
        return plan_derived(
            self.graph, spec, state, latest, code_version_of(spec), force or (lambda k: False)
        )

    @staticmethod
    def _chosen(plan: AssetPlan, buildable: bool, selection: Selection, ranged: bool) -> list[PartitionPlan]:
        if not buildable:
            return []
        return [p for p in plan.to_build() if not ranged or selection.in_range(p.key)]

    # --- running ------------------------------------------------------------------------------------------

    def materialize(
        self, selection: Selection = Selection(), progress: Callable[[str], None] | None = None
    ) -> RunReport:
        """Build every stale partition the selection allows, in dependency order; record everything."""
        run_id = f"local-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        latest = self.store.latest_successes()
        buildable, named = selection.resolve(self.graph)
        state, outcomes = VersionState(), []
        for name in self.graph.order:
            spec = self.graph[name]
            if progress:
                progress(name)
            started = time.perf_counter()
            if spec.is_source:
                outcome = self._run_source(spec, name in buildable, latest, state, run_id)
            else:
                plan = self._plan_derived(spec, state, latest, selection, named)
                chosen = self._chosen(plan, name in buildable, selection, name in named)
                outcome = self._run_derived(spec, plan, chosen, latest, state, run_id)
            outcome.seconds = time.perf_counter() - started
            outcomes.append(outcome)
        return RunReport(run_id, outcomes)

    def _run_source(self, spec, buildable, latest, state, run_id) -> AssetOutcome:
        outcome = AssetOutcome(spec.name)
        if buildable:
            result = run_job(self._context(spec, (), run_id))
            observed = result.partition_versions or {}
        else:
            observed = self.observe(spec)
        plan = plan_source(spec, observed, latest)
        changed = plan.to_build()
        rejected, gate = self._gate_source(spec, changed, run_id)
        now = datetime.now(UTC)
        records = [
            Record(run_id, spec.name, p.key, "failed" if p.key in rejected else "success", p.data_version,
                   "source", started_at=now, ended_at=now, gate_result=gate,
                   message=rejected.get(p.key, p.reason))
            for p in changed
        ]
        self.store.append(records)
        for r in records:
            if r.status == "success":
                latest[(spec.name, r.partition)] = r
        # A rejected day stays out of the plan: consumers keep the last validated version, or wait.
        state.versions[spec.name] = {k: v for k, v in observed.items() if k not in rejected}
        state.rejected[spec.name] = set(rejected)
        for key in rejected:
            if (spec.name, key) in latest:
                state.versions[spec.name][key] = latest[(spec.name, key)].data_version
        outcome.built = [p.key for p in changed if p.key not in rejected]
        outcome.failed = sorted(rejected)
        outcome.fresh = len(plan.partitions) - len(changed)
        outcome.message = next(iter(rejected.values()), "")
        return outcome

    def _gate_source(self, spec, changed, run_id) -> tuple[dict[str, str], dict]:
        """Validate the source days that changed; {day: why} for the days a blocking expectation rejects."""
        if not changed or spec.gate is None:
            return {}, {}
        from expectations.gate import validate

        gate = validate(self._context(spec, tuple(p.key for p in changed), run_id))
        if gate.passed:
            return {}, gate.summary()
        why = gate.failure_message()
        days = gate.failed_partitions or [p.key for p in changed]
        return {day: why for day in days}, gate.summary()

    def _run_derived(self, spec, plan, chosen, latest, state, run_id) -> AssetOutcome:
        outcome = AssetOutcome(spec.name, waiting=sum(p.status == "waiting" for p in plan.partitions))
        outcome.fresh = sum(p.status == "fresh" for p in plan.partitions)
        if not chosen:
            settle(state, plan, set(), latest)
            return outcome
        records, ok = build_and_gate(self._context(spec, tuple(p.key for p in chosen), run_id), plan, chosen)
        self.store.append(records)
        good = {r.partition for r in records if r.status == "success"}
        for r in records:
            if r.status == "success":
                latest[(spec.name, r.partition)] = r
        settle(state, plan, good, latest)
        outcome.built = sorted(good)
        outcome.failed = sorted(r.partition for r in records if r.status != "success")
        outcome.message = "" if ok else next(r.message for r in records if r.status != "success")
        return outcome

    def _context(self, spec: AssetSpec, keys: tuple[str, ...], run_id: str):
        from spark.context import JobContext

        return JobContext(self.graph, spec, keys, self.settings, run_id)


def settle(state: VersionState, plan: AssetPlan, built: set[str], latest: Latest) -> None:
    """After a step: partitions not rebuilt keep their recorded version (or vanish if never built)."""
    for p in plan.partitions:
        if p.key in built or p.status == "fresh":
            continue
        record = latest.get((plan.asset, p.key))
        if record is not None:
            state.set(plan.asset, p.key, record.data_version)
        else:
            state.versions.get(plan.asset, {}).pop(p.key, None)


def run_job(ctx):
    """Import the asset's job ('module:function') and run it on ctx."""
    job = ctx.asset.job
    if isinstance(job, str):
        module_name, function_name = job.split(":", 1)
        job = getattr(importlib.import_module(module_name), function_name)
    return job(ctx)


def build_and_gate(ctx, plan: AssetPlan, chosen: list[PartitionPlan]) -> tuple[list[Record], bool]:
    """Run the job and the gate for the chosen partitions; one record per partition, success or failure."""
    from expectations.gate import validate

    started = datetime.now(UTC)
    try:
        result = run_job(ctx)
        gate = validate(ctx)
    except Exception as exc:  # the failure is recorded and reported, then the branch stops
        log.exception("%s %s failed", ctx.asset.name, ",".join(ctx.partitions))
        message = f"{type(exc).__name__}: {exc}"
        return [_record(ctx, plan, p, "failed", started, message=message) for p in chosen], False
    rejected = rejected_partitions(ctx.asset, gate, [p.key for p in chosen])
    message = gate.failure_message()
    passed = tuple(p.key for p in chosen if p.key not in rejected)
    if passed:
        from infra.delivery import deliver

        deliver(replace(ctx, partitions=passed))
    rows = result.rows_by_partition or {}
    return [
        _record(ctx, plan, p, "failed", started, gate.summary(), message)
        if p.key in rejected
        else _record(ctx, plan, p, "success", started, gate.summary(), row_count=rows.get(p.key, 0))
        for p in chosen
    ], not rejected


def rejected_partitions(spec: AssetSpec, gate, keys: list[str]) -> set[str]:
    """The partitions a gate rejects: those with a blocking failure, and for an asset that carries its own
    previous day forward (a ledger), every later day of the batch too, since each was built on a rejected
    one."""
    if gate.passed:
        return set()
    rejected = set(gate.failed_partitions) or set(keys)
    if any(isinstance(u.mapping, PreviousDay) and u.asset == spec.name for u in spec.upstream):
        rejected |= {k for k in keys if k >= min(rejected)}
    return rejected


def _record(ctx, plan, p: PartitionPlan, status, started, gate=None, message="", row_count=0) -> Record:
    return Record(
        run_id=ctx.run_id,
        asset=plan.asset,
        partition=p.key,
        status=status,
        data_version=p.data_version,
        code_version=plan.code_version,
        input_versions=p.input_versions,
        row_count=row_count,
        started_at=started,
        ended_at=datetime.now(UTC),
        gate_result=gate or {},
        message=message,
    )
