"""The four steps of one asset's scheduled run — check, build, gate, publish — as plain functions.

Airflow runs each step as its own task (assets/airflow_render.py), so steps hand over through a small work
directory per run (`<home>/airflow/runs/<asset>/<run>/`): `plan.json` (what check decided), `result.json`
(what the job reported, written by spark/submit.py), `gate.json` and `rejected.json` (partitions the gate held
back). Nothing here imports Airflow.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from assets.event_extra import event_extra
from assets.graph import AssetGraph, input_keys
from assets.model import checked_day
from assets.records import Record
from assets.runner import Runner, Selection, rejected_partitions, run_job
from assets.versions import AssetPlan, PartitionPlan, compress_keys, plan_source
from infra.settings import Settings


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


def work_dir(settings: Settings, asset: str, run_id: str) -> Path:
    """The folder one run of one asset's DAG hands its step outputs through."""
    return settings.home / "airflow" / "runs" / asset / re.sub(r"[^\w.\-]", "_", run_id)


def selection_for(asset: str, params: dict | None) -> Selection:
    """The runner selection of a DAG run: its asset, the backfill range and force from the run's params."""
    params = params or {}
    return Selection(
        (asset,), params.get("date_from") or None, params.get("date_to") or None, bool(params.get("force"))
    )


# --- check --------------------------------------------------------------------------------------------------


def check(
    graph: AssetGraph, settings: Settings, asset: str, run_id: str, params: dict | None = None
) -> CheckOutcome:
    """Decide from versions alone (no data read) whether this asset has partitions to build.

    Waits while an upstream partition that the partitions to build read is itself still to be built and has
    not failed (its run is due or under way), so a diamond's consumer builds once, after both of its inputs.
    """
    spec = graph[asset]
    work = work_dir(settings, asset, run_id)
    if spec.is_source:
        _write_json(work / "plan.json", None)
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
    _write_json(
        work / "plan.json",
        {"code_version": plans[asset].code_version, "partitions": [asdict(p) for p in chosen]},
    )
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
    graph: AssetGraph,
    settings: Settings,
    asset: str,
    partitions: tuple[str, ...],
    run_id: str,
    result_path: Path,
) -> dict:
    """Run the asset's job on `partitions` and write its JobResult as JSON for the gate and publish steps."""
    from spark.context import JobContext

    result = run_job(JobContext(graph, graph[asset], partitions, settings, run_id))
    payload = {
        "row_count": int(result.row_count),
        "partition_versions": result.partition_versions,
        "rows_by_partition": result.rows_by_partition,
        "details": result.details,
    }
    _write_json(result_path, payload)
    return payload


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
    from expectations.gate import bounded, validate
    from spark.context import JobContext

    work = work_dir(settings, asset, run_id)
    code_version, partitions = planned(graph, settings, asset, work)
    if not partitions:
        summary = bounded({"suite": None, "passed": True, "evaluated": 0})
        _write_json(work / "gate.json", summary)
        _write_json(work / "rejected.json", {"partitions": [], "message": ""})
        return summary
    keys = tuple(p.key for p in partitions)
    outcome = validate(JobContext(graph, graph[asset], keys, settings, run_id))
    rejected = sorted(rejected_partitions(graph[asset], outcome, list(keys)))
    message = f"{asset} {compress_keys(rejected)}: {outcome.failure_message()}" if rejected else ""
    _write_json(work / "gate.json", outcome.summary())
    _write_json(work / "rejected.json", {"partitions": rejected, "message": message})
    if rejected:
        record_failure(graph, settings, asset, run_id, message, outcome.summary(), only=set(rejected))
        if len(rejected) == len(keys):
            raise GateFailed(message)
    return bounded(outcome.summary())  # the task's XCom


def rejection(settings: Settings, asset: str, run_id: str) -> tuple[list[str], str]:
    """(partitions the gate rejected, why) for a run; ([], "") when it rejected none."""
    saved = _read_json(work_dir(settings, asset, run_id) / "rejected.json") or {}
    return saved.get("partitions", []), saved.get("message", "")


def planned(graph: AssetGraph, settings: Settings, asset: str, work: Path) -> tuple[str, list[PartitionPlan]]:
    """(code version, partitions this run builds): check's plan, or for a source what its ingest changed."""
    saved = _read_json(work / "plan.json")
    if saved is None:  # a source: compare what the job now holds with what was last recorded
        result = _read_json(work / "result.json") or {}
        latest = Runner(graph, settings).store.latest_successes()
        plan = plan_source(graph[asset], result.get("partition_versions") or {}, latest)
        saved = {"code_version": "source", "partitions": [asdict(p) for p in plan.to_build()]}
        _write_json(work / "plan.json", saved)
    return saved["code_version"], [PartitionPlan(**p) for p in saved["partitions"]]


# --- publish and records ------------------------------------------------------------------------------------


def publish(graph: AssetGraph, settings: Settings, asset: str, run_id: str) -> dict:
    """Deliver the partitions the gate passed (warehouse table, alerts), record them, return the event extra.

    Raises NothingToPublish when the run changed nothing (a source with no new events).
    """
    work = work_dir(settings, asset, run_id)
    code_version, partitions = planned(graph, settings, asset, work)
    rejected, _ = rejection(settings, asset, run_id)
    partitions = [p for p in partitions if p.key not in rejected]
    if not partitions:
        raise NothingToPublish(f"{asset}: no partition changed in this run")
    result = _read_json(work / "result.json") or {}
    gate_summary = _read_json(work / "gate.json") or {}
    from infra.delivery import deliver
    from spark.context import JobContext

    deliver(JobContext(graph, graph[asset], tuple(p.key for p in partitions), settings, run_id))
    rows = result.get("rows_by_partition") or {}
    started = _started_at(work)
    records = [
        Record(
            run_id,
            asset,
            p.key,
            "success",
            p.data_version,
            code_version,
            p.input_versions,
            int(rows.get(p.key, 0)),
            started,
            datetime.now(UTC),
            gate_summary,
            p.reason,
        )
        for p in partitions
    ]
    Runner(graph, settings).store.append(records)
    return event_extra(asset, run_id, code_version, records, gate_summary)


def record_failure(
    graph: AssetGraph,
    settings: Settings,
    asset: str,
    run_id: str,
    message: str,
    gate_summary: dict | None = None,
    only: set[str] | None = None,
) -> int:
    """Record a failed attempt for every partition this run meant to build (or `only` those); how many."""
    work = work_dir(settings, asset, run_id)
    if not (work / "plan.json").exists():
        return 0
    saved = _read_json(work / "plan.json")
    if saved is None:  # a source whose ingest failed: there is no partition list to blame
        return 0
    records = [
        Record(
            run_id,
            asset,
            p["key"],
            "failed",
            p["data_version"],
            saved["code_version"],
            p["input_versions"],
            0,
            _started_at(work),
            datetime.now(UTC),
            gate_summary or {},
            message[:1000],
        )
        for p in saved["partitions"]
        if only is None or p["key"] in only
    ]
    Runner(graph, settings).store.append(records)
    return len(records)


def freshness_problems(graph: AssetGraph, settings: Settings, asset: str | None = None) -> list[str]:
    """Freshness objective violations (same rule as `shelfwise status`): one asset's, or every asset's."""
    from assets.reporting import freshness_violations

    problems = freshness_violations(Runner(graph, settings))
    return problems if asset is None else [p for p in problems if p.startswith(f"{asset}:")]


# --- helpers -----------------------------------------------------------------------------------------------


def _write_json(path: Path, payload) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, sort_keys=True, default=str))
    tmp.replace(path)


def _read_json(path: Path):
    return json.loads(path.read_text()) if path.exists() else None


def _started_at(work: Path) -> datetime:
    """When this run's check wrote its plan: the start of the attempt."""
    plan = work / "plan.json"
    return datetime.fromtimestamp(plan.stat().st_mtime, UTC) if plan.exists() else datetime.now(UTC)
