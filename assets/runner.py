"""The local runner: plan what is stale, then drive each asset's run (assets/run.py) in dependency order.

The Airflow DAGs drive the same runs one step per task (assets/steps.py), one asset per DAG.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from assets.graph import AssetGraph
from assets.model import AssetSpec, checked_day
from assets.records import Latest, MaterializationStore
from assets.run import AssetRun, RunEnv
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
RUN_REPORTS = "runs"  # under the home: one JSON report per local run


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
    steps: dict[str, float] = field(default_factory=dict)  # seconds of its run's build, validate, publish
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

    def save(self, folder: Path) -> Path:
        """Write the report as `<folder>/<run id>.json` (for people and benchmarks: where the time went)."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.run_id}.json"
        path.write_text(json.dumps(asdict(self), indent=1))
        return path


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
        env = RunEnv(self.graph, self.settings, self.store, self.store.latest_successes())
        buildable, named = selection.resolve(self.graph)
        state, outcomes = VersionState(), []
        for name in self.graph.order:
            if progress:
                progress(name)
            started = time.perf_counter()
            if self.graph[name].is_source:
                outcome = self._run_source(env, name, name in buildable, state, run_id)
            else:
                outcome = self._run_derived(env, name, buildable, named, selection, state, run_id)
            outcome.seconds = time.perf_counter() - started
            outcomes.append(outcome)
        report = RunReport(run_id, outcomes)
        report.save(self.settings.home / RUN_REPORTS)
        return report

    def _run_source(self, env: RunEnv, name: str, buildable: bool, state: VersionState, run_id: str):
        run = AssetRun.of_source(name, run_id)
        drive(run, env, observe_only=not buildable, reraise=True)  # a failed ingest stops the run
        observed = run.result.get("partition_versions") or {}
        # A rejected day stays out of the plan: consumers keep the last validated version, or wait.
        state.versions[name] = {k: v for k, v in observed.items() if k not in run.rejected}
        state.rejected[name] = set(run.rejected)
        for key in run.rejected:
            if (name, key) in env.latest:
                state.versions[name][key] = env.latest[(name, key)].data_version
        outcome = _outcome(run)
        outcome.fresh = len(observed) - len(run.keys)
        return outcome

    def _run_derived(self, env: RunEnv, name, buildable, named, selection, state, run_id) -> AssetOutcome:
        plan = self._plan_derived(self.graph[name], state, env.latest, selection, named)
        chosen = self._chosen(plan, name in buildable, selection, name in named)
        if not chosen:
            settle(state, plan, set(), env.latest)
            outcome = AssetOutcome(name)
        else:
            run = AssetRun(name, run_id, plan.code_version, chosen)
            drive(run, env)
            settle(state, plan, set(run.passed) if run.stage == "published" else set(), env.latest)
            outcome = _outcome(run)
        outcome.waiting = sum(p.status == "waiting" for p in plan.partitions)
        outcome.fresh = sum(p.status == "fresh" for p in plan.partitions)
        return outcome


def drive(run: AssetRun, env: RunEnv, observe_only: bool = False, reraise: bool = False) -> None:
    """The in-process executor: every step of one run, recorded whatever happens. The run stays in memory:
    only Airflow's steps, which may run on different hosts, save it in the lake."""
    try:
        run.build(env, observe_only=observe_only)
        run.validate(env)
        run.publish(env)
    except Exception as exc:  # recorded and reported; the branch stops there
        log.exception("%s %s failed", run.asset, ",".join(run.keys))
        run.fail(f"{type(exc).__name__}: {exc}")
        run.drop_staged(env)
        if reraise:
            raise
    finally:
        for record in run.record(env.store):
            if record.status == "success":
                env.latest[(record.asset, record.partition)] = record


def _outcome(run: AssetRun) -> AssetOutcome:
    failed = sorted(set(run.keys) - set(run.passed)) if run.stage != "failed" else list(run.keys)
    built = list(run.passed) if run.stage == "published" else []
    message = run.failure or next(iter(run.rejected.values()), "")
    return AssetOutcome(run.asset, built=built, failed=failed, steps=dict(run.seconds), message=message)


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
