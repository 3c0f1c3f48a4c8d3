"""The four steps of one asset's scheduled run — check, build, gate, publish — over one AssetRun.

Airflow runs each step as its own task (assets/airflow_render.py), perhaps on different hosts, so the run
(assets/run.py) travels through the lake, never a local folder: check plans and saves it, each later step
loads it, moves it on and saves it again. Nothing here imports Airflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assets.event_extra import event_extra
from assets.graph import AssetGraph, input_keys
from assets.model import checked_day
from assets.records import MaterializationStore
from assets.reporting import freshness_violations
from assets.run import AssetRun, RunEnv, RunStateError
from assets.runner import Runner, Selection
from assets.versions import AssetPlan, compress_keys
from expectations.result import bounded
from infra.settings import Settings
from infra.warehouse import Warehouse


class NothingToPublish(Exception):
    """The run changed no partition: no asset event, nothing downstream runs."""


class GateFailed(RuntimeError):
    """A blocking expectation failed; the partitions are recorded as failed and nothing is published."""


@dataclass(frozen=True)
class CheckOutcome:
    """What the check step decided: wait for an upstream, skip (up to date), or build these partitions."""

    action: Literal["wait", "skip", "build"]
    reason: str
    partitions: tuple[str, ...] = ()


def selection_for(asset: str, params: dict | None) -> Selection:
    """The runner selection of a DAG run: its asset, the backfill range and force from the run's params."""
    params = params or {}
    return Selection(
        (asset,), params.get("date_from") or None, params.get("date_to") or None, bool(params.get("force"))
    )


def env_for(graph: AssetGraph, settings: Settings) -> RunEnv:
    return RunEnv(graph, settings, MaterializationStore(Warehouse(settings)))


# --- check --------------------------------------------------------------------------------------------------


def check(
    graph: AssetGraph, settings: Settings, asset: str, run_id: str, params: dict | None = None
) -> CheckOutcome:
    """Decide from versions alone (no data read) whether this asset has partitions to build.

    Waits while an upstream partition that the partitions to build read is itself still to be built and has
    not failed (its run is due or under way), so a diamond's consumer builds once, after both of its inputs.
    """
    if graph[asset].is_source:
        AssetRun.of_source(asset, run_id).save(settings)
        return CheckOutcome("build", "sources ingest what arrived since the last run")
    runner = Runner(graph, settings)
    selection = selection_for(asset, params)
    plans = runner.plan(selection)
    chosen = [p for p in plans[asset].to_build() if selection.in_range(p.key)]
    # What would be stale once every upstream run due has built: those partitions wait for what they read.
    settled = runner.plan(Selection())
    due = {p.key for p in settled[asset].to_build() if selection.in_range(p.key)} | {p.key for p in chosen}
    blockers = upstream_in_progress(runner, asset, settled, sorted(due))
    if blockers:
        return CheckOutcome("wait", "waiting for " + "; ".join(blockers))
    if not chosen:
        why = "is up to date" if plans[asset].partitions else "has no input data yet"
        return CheckOutcome("skip", f"{asset} {why}")
    AssetRun(asset, run_id, plans[asset].code_version, chosen).save(settings)
    reasons = sorted({p.reason for p in chosen})
    return CheckOutcome("build", "; ".join(reasons), tuple(p.key for p in chosen))


def upstream_in_progress(
    runner: Runner, asset: str, plans: dict[str, AssetPlan], keys: list[str]
) -> list[str]:
    """Upstream partitions that `asset`'s partitions `keys` read (directly or through others) which are
    still to be built and whose latest attempt did not fail, as 'name keys' lines. A pending partition
    nothing here reads (another week's model, a day outside every window) holds nothing: once built, its
    asset event triggers this asset again."""
    attempts = runner.store.latest_attempts()
    failed = {
        (a, p)
        for a, p, s in zip(attempts["asset"], attempts["partition"], attempts["status"], strict=True)
        if s == "failed"
    }
    pending = {(name, p.key) for name, plan in plans.items() for p in plan.to_build()} - failed
    blockers: dict[str, list[str]] = {}
    for name, key in sorted(partitions_read(runner.graph, plans, asset, keys)):
        if name != asset and (name, key) in pending:
            blockers.setdefault(name, []).append(key)
    return [f"{name} {compress_keys(found)}" for name, found in blockers.items()]


def partitions_read(
    graph: AssetGraph, plans: dict[str, AssetPlan], asset: str, keys: list[str]
) -> set[tuple[str, str]]:
    """Every (asset, partition) that `asset`'s partitions `keys` read, directly or through other assets."""
    available = {name: [p.key for p in plan.partitions] for name, plan in plans.items()}
    seen: set[tuple[str, str]] = set()
    todo = [(asset, key) for key in keys]
    while todo:
        name, key = todo.pop()
        spec = graph[name]
        for up in spec.upstream:
            for upstream_key in input_keys(spec, up, key, available.get(up.asset, [])):
                if (up.asset, upstream_key) not in seen:
                    seen.add((up.asset, upstream_key))
                    todo.append((up.asset, upstream_key))
    return seen


# --- build (runs inside spark-submit) -------------------------------------------------------------------


def build(
    graph: AssetGraph, settings: Settings, asset: str, partitions: tuple[str, ...], run_id: str
) -> dict:
    """Run the asset's job on the partitions check planned (`partitions`, from the command line, must be
    the same: a mismatch means the task and the saved run disagree); save what the job reported."""
    run = AssetRun.load(settings, asset, run_id)
    if not graph[asset].is_source and partitions != run.keys:
        planned = compress_keys(list(run.keys))
        raise RunStateError(f"{asset} run {run_id} planned {planned}, was asked to build {partitions}")
    run.build(env_for(graph, settings))
    run.save(settings)
    return run.result


def parse_partitions(text: str) -> tuple[str, ...]:
    """'2026-01-01,2026-01-02' -> sorted keys; '' -> () (a source ingests, it is not handed partitions).

    Every key must be a day (YYYY-MM-DD): keys become lake paths and SQL partition values.
    """
    return tuple(sorted(checked_day(k.strip(), "partition key") for k in text.split(",") if k.strip()))


# --- gate ---------------------------------------------------------------------------------------------------


def gate(graph: AssetGraph, settings: Settings, asset: str, run_id: str) -> dict:
    """Validate the partitions just built; record the ones a blocking check rejects as failed.

    Like the local runner, a gate rejects partitions, not runs: the good ones go on to publish, and the
    rejections step fails the run afterwards. Raises GateFailed when no partition is left to publish.
    """
    env, run = env_for(graph, settings), AssetRun.load(settings, asset, run_id)
    run.validate(env)
    run.record(env.store)
    run.save(settings)
    if run.rejected and not run.passed:
        run.drop_staged(env)  # no publish follows: the rejected partitions never reach readers
        raise GateFailed(run.rejection_message)
    return bounded(run.gate)  # the task's XCom


def rejection(settings: Settings, asset: str, run_id: str) -> tuple[list[str], str]:
    """(partitions the gate rejected, why) for a run; ([], "") when it rejected none."""
    run = AssetRun.load(settings, asset, run_id)
    return sorted(run.rejected), run.rejection_message


# --- publish and records ------------------------------------------------------------------------------------


def publish(graph: AssetGraph, settings: Settings, asset: str, run_id: str) -> dict:
    """Deliver the partitions the gate passed (warehouse table, alerts), record them, return the event extra.

    Raises NothingToPublish when the run changed nothing (a source with no new events).
    """
    env, run = env_for(graph, settings), AssetRun.load(settings, asset, run_id)
    run.publish(env)
    run.record(env.store)
    if not run.passed:  # nothing was rejected either (the gate fails a run that rejects everything)
        run.discard(settings)
        raise NothingToPublish(f"{asset}: no partition changed in this run")
    run.save(settings)
    published = [r for r in run.outcomes() if r.status == "success"]  # all of them, on a retry too
    return event_extra(asset, run_id, run.code_version, published, run.gate)


def record_failure(graph: AssetGraph, settings: Settings, asset: str, run_id: str, message: str) -> int:
    """Record a failed attempt for every partition this run planned and had not recorded; how many.

    A run check never planned, or a source whose ingest failed before it knew its days, blames nothing.
    """
    run = AssetRun.find(settings, asset, run_id)
    if run is None:
        return 0
    env = env_for(graph, settings)
    run.fail(message)
    run.drop_staged(env)
    count = len(run.record(env.store))
    run.save(settings)
    return count


def freshness_problems(graph: AssetGraph, settings: Settings, asset: str | None = None) -> list[str]:
    """Freshness objective violations (same rule as `shelfwise status`): one asset's, or every asset's."""
    problems = freshness_violations(Runner(graph, settings))
    return problems if asset is None else [p for p in problems if p.startswith(f"{asset}:")]
