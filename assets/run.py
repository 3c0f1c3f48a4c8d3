"""One run of one asset as a state machine: planned -> built -> validated -> published, or failed.

Two executors drive it: the local runner (assets/runner.py) takes every step in one process, and Airflow
(assets/steps.py) takes one step per task, possibly on different hosts. So Airflow's steps save the run in
the lake after each one (`_runs/<asset>/<run>.json`, small: versions, counts, the gate summary) and a step
that finds no saved run stops with an error. Rejection is decided in `validate` and records are built in
`record`, only here.
"""

from __future__ import annotations

import functools
import importlib
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Literal

import expectations.gate
from assets.graph import AssetGraph
from assets.model import AssetSpec, PreviousDay
from assets.records import Latest, MaterializationStore, Record
from assets.versions import PartitionPlan, compress_keys, plan_source
from infra import delivery
from infra.lake import discard_staged, lake_fs, lake_path, publish_days, read_partition_versions, run_slug
from infra.settings import Settings
from spark.context import JobContext

RUNS = "_runs"
SOURCE = "source"  # the code version recorded for a source's partitions

Stage = Literal["planned", "built", "validated", "published", "failed"]
# Each step may also repeat itself (an Airflow retry after the state was saved): the steps are idempotent.
STEP_FROM: dict[Stage, tuple[Stage, ...]] = {
    "built": ("planned", "built"),
    "validated": ("built", "validated"),
    "published": ("validated", "published"),
}


class RunStateError(RuntimeError):
    """A step was asked of a run that was never planned here, or out of order."""


def timed(step):
    """Adds the seconds a step took to the run's `seconds[<step name>]` (where a run's time goes)."""

    @functools.wraps(step)
    def run_step(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return step(self, *args, **kwargs)
        finally:
            spent = time.perf_counter() - started
            self.seconds[step.__name__] = round(self.seconds.get(step.__name__, 0.0) + spent, 3)

    return run_step


@dataclass
class RunEnv:
    """What the steps of a run work against: the graph, where things are, and the materialization log."""

    graph: AssetGraph
    settings: Settings
    store: MaterializationStore
    latest: Latest | None = None  # the log's latest successes, when the caller already holds them

    def latest_successes(self) -> Latest:
        return self.latest if self.latest is not None else self.store.latest_successes()

    def context(self, run: AssetRun, keys: tuple[str, ...] | None = None):
        """What the job, the gate or the delivery of `run` is handed (for `keys`, else all its partitions)."""
        keys = run.keys if keys is None else keys
        return JobContext.of(self.graph, run.asset, keys, self.settings, run.run_id, run.inputs)


@dataclass
class AssetRun:
    """The partitions one run builds and what has happened to them so far."""

    asset: str
    run_id: str
    code_version: str
    partitions: list[PartitionPlan] | None  # None for a source until validation compares what it ingested
    stage: Stage = "planned"
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    result: dict = field(default_factory=dict)  # what the job reported: rows, partition versions, details
    gate: dict = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # partition -> why
    failure: str = ""
    recorded: list[str] = field(default_factory=list)  # partitions already in the materialization log
    seconds: dict[str, float] = field(default_factory=dict)  # per step: build, validate, publish

    @classmethod
    def of_source(cls, asset: str, run_id: str) -> AssetRun:
        return cls(asset, run_id, SOURCE, None)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.partitions or ())

    @property
    def inputs(self) -> dict[str, dict[str, str]]:
        """The upstream partition versions the planned partitions read, merged."""
        merged: dict[str, dict[str, str]] = {}
        for p in self.partitions or ():
            for upstream, versions in p.input_versions.items():
                merged.setdefault(upstream, {}).update(versions)
        return merged

    @property
    def passed(self) -> tuple[str, ...]:
        """The partitions the gate let through (all of them before validation)."""
        return tuple(k for k in self.keys if k not in self.rejected)

    @property
    def rejection_message(self) -> str:
        if not self.rejected:
            return ""
        return f"{self.asset} {compress_keys(sorted(self.rejected))}: {next(iter(self.rejected.values()))}"

    # --- transitions ------------------------------------------------------------------------------------

    @timed
    def build(self, env: RunEnv, observe_only: bool = False) -> None:
        """Run the job (or, for a source not selected to ingest, look at what it holds)."""
        self._expect("built")
        spec = env.graph[self.asset]
        if observe_only:
            self.result = {"partition_versions": read_partition_versions(env.settings, spec.storage.path)}
        else:
            job = run_job(env.context(self))
            self.result = {
                "row_count": int(job.row_count),
                "partition_versions": job.partition_versions,
                "rows_by_partition": job.rows_by_partition,
                "details": job.details,
            }
        self.stage = "built"

    @timed
    def validate(self, env: RunEnv) -> None:
        """Run the gate on what was built; decide which partitions it rejects."""
        self._expect("validated")
        spec = env.graph[self.asset]
        if spec.is_source:  # the days its ingest changed since the last recorded run (the job needs no log)
            observed = self.result.get("partition_versions") or {}
            self.partitions = plan_source(spec, observed, env.latest_successes()).to_build()
        if not self.partitions:
            self.gate, self.stage = {"suite": None, "passed": True, "evaluated": 0}, "validated"
            return
        outcome = expectations.gate.validate(env.context(self))
        self.gate = outcome.summary()
        why = outcome.failure_message()
        self.rejected = {k: why for k in sorted(rejected_partitions(spec, outcome, self.keys))}
        self.stage = "validated"

    @timed
    def publish(self, env: RunEnv) -> None:
        """Name the partitions the gate passed in the asset's published index (readers see them from now
        on; the rejected ones are dropped), then deliver them: the warehouse table, the alerts."""
        self._expect("published")
        spec = env.graph[self.asset]
        if spec.staged:
            publish_days(env.settings, spec.storage.path, self.run_id, self.passed)
        if self.passed:
            delivery.deliver(env.context(self, self.passed))
        self.stage = "published"

    def drop_staged(self, env: RunEnv) -> None:
        """Drop what a failed run staged: it never reaches readers."""
        spec = env.graph[self.asset]
        if spec.staged:
            discard_staged(env.settings, spec.storage.path, self.run_id)

    def fail(self, message: str) -> None:
        """The run stopped: every partition it had not recorded yet fails with `message`."""
        self.failure, self.stage = message[:1000], "failed"

    def outcomes(self) -> list[Record]:
        """A record for every partition whose outcome is decided so far."""
        return [r for r in map(self._record, self.partitions or ()) if r is not None]

    def record(self, store: MaterializationStore) -> list[Record]:
        """Append to the materialization log the outcomes decided since the last call; return them."""
        new = [r for r in self.outcomes() if r.partition not in self.recorded]
        store.append(new)
        self.recorded += [r.partition for r in new]
        return new

    def _record(self, p: PartitionPlan) -> Record | None:
        if self.stage == "failed":
            status, message = "failed", self.failure
        elif p.key in self.rejected:
            status, message = "failed", self.rejected[p.key]
        elif self.stage == "published":
            status, message = "success", p.reason
        else:
            return None  # not decided yet
        rows = (self.result.get("rows_by_partition") or {}).get(p.key, 0) if status == "success" else 0
        return Record(
            self.run_id, self.asset, p.key, status, p.data_version, self.code_version, p.input_versions,
            int(rows), self.started_at, datetime.now(UTC), self.gate, message,
        )  # fmt: skip

    def _expect(self, goal: Stage) -> None:
        if self.stage not in STEP_FROM[goal]:
            raise RunStateError(
                f"run {self.run_id} of {self.asset} is {self.stage}: it cannot become {goal} from there"
            )

    # --- persistence ----------------------------------------------------------------------------------------

    def save(self, settings: Settings) -> None:
        """Write the run where every step of it can read it (atomically: a reader sees whole states)."""
        fs, path = lake_fs(settings), run_location(settings, self.asset, self.run_id)
        fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with fs.open(path + ".tmp", "w") as handle:
            json.dump(asdict(self), handle, sort_keys=True, default=str)
        fs.mv(path + ".tmp", path)

    def discard(self, settings: Settings) -> None:
        """Remove the saved run (one that changed nothing: a source polled with no news every 15 minutes)."""
        lake_fs(settings).rm(run_location(settings, self.asset, self.run_id))

    @classmethod
    def find(cls, settings: Settings, asset: str, run_id: str) -> AssetRun | None:
        fs, path = lake_fs(settings), run_location(settings, asset, run_id)
        if not fs.exists(path):
            return None
        with fs.open(path, "r") as handle:
            saved = json.load(handle)
        saved["partitions"] = None if saved["partitions"] is None else [
            PartitionPlan(**p) for p in saved["partitions"]]  # fmt: skip
        saved["started_at"] = datetime.fromisoformat(saved["started_at"])
        return cls(**saved)

    @classmethod
    def load(cls, settings: Settings, asset: str, run_id: str) -> AssetRun:
        found = cls.find(settings, asset, run_id)
        if found is None:
            raise RunStateError(
                f"no saved run {run_id!r} of {asset} in {settings.lake}: its check step did not plan it "
                "against this lake (a missing plan is never read as 'nothing to do')"
            )
        return found


def run_location(settings: Settings, asset: str, run_id: str) -> str:
    """`_runs/<asset>/<run>.json` in the lake."""
    return lake_path(settings, f"{RUNS}/{asset}/{run_slug(run_id)}.json")


def run_job(ctx):
    """Import the asset's job ('module:function') and run it on ctx."""
    job = ctx.asset.job
    if isinstance(job, str):
        module_name, function_name = job.split(":", 1)
        job = getattr(importlib.import_module(module_name), function_name)
    try:
        return job(ctx)
    finally:
        ctx.close()


def rejected_partitions(spec: AssetSpec, gate, keys: tuple[str, ...] | list[str]) -> set[str]:
    """The partitions a gate rejects: those with a blocking failure, and for an asset that carries its own
    previous day forward (a ledger), every later day of the batch too, since each was built on a rejected
    one."""
    if gate.passed:
        return set()
    rejected = set(gate.failed_partitions) or set(keys)
    if any(isinstance(u.mapping, PreviousDay) and u.asset == spec.name for u in spec.upstream):
        rejected |= {k for k in keys if k >= min(rejected)}
    return rejected
