"""Render the neutral asset graph as Airflow 3 DAGs: one DAG per asset, wired by asset events.

    check (sensor, reschedule) -> materialize -> gate -> publish (outlet)
    [-> freshness, when the asset declares an objective]

`materialize` builds on the Spark Connect server when the settings name one (`SHELFWISE_SPARK_REMOTE`; the
`shelfwise_spark_connect` connection, when Airflow has it, says where at run time): the task starts its
work at once instead of a JVM. Without one it is a spark-submit of spark/submit.py (a cluster's way).

Scheduling. A source asset runs on a timetable. A derived asset's DAG is scheduled on ANY of its upstream
assets (`AssetAny`), never on Airflow's "all updated" rule, where a rarely updated input (a weekly model)
would hold its consumers back (apache/airflow discussion 72639); its check step decides from data versions
whether anything it reads changed, skips when not (so no event, nothing downstream), and waits while an
upstream partition is still due, so a diamond builds its consumer once.

Choices, measured against what Airflow 3.3 offers:
- Kafka-triggered sources (`AssetWatcher` + `MessageQueueTrigger`) need the apache-kafka and common-messaging
  providers plus a triggerer; neither provider is installed here, and a trigger fires per message while our
  ingest is a batch over offset ranges. Sources therefore run every `source_every` (default 15 minutes, the
  raw_sales freshness objective).
- Partitions travel in the event extra, not as Airflow partitioned assets: those run one partition per DAG
  run (a 365-day backfill would start 365 JVMs) and have no mapping for our trailing windows, previous-day
  self dependency or latest-weekly-model reads; versions already say exactly which partitions are stale.

Parsing reads settings only (lake URL, home); it opens no connection and reads no data.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import DAG, Asset, AssetAny, BaseHook, Param, task
from airflow.sdk.bases.sensor import PokeReturnValue
from airflow.sdk.definitions.timetables.trigger import DeltaTriggerTimetable
from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException, AirflowSkipException

from assets import steps
from assets.graph import AssetGraph
from assets.model import AssetSpec
from infra.airflow_wiring import (
    CLICKHOUSE_CONN_ID,
    SPARK_CONN_ID,
    SPARK_CONNECT_CONN_ID,
    SPARK_POOL,
    clickhouse_url_of,
    settings_env,
)
from infra.lake import lake_url
from infra.powerbi import refresh_from_airflow
from infra.settings import REPO_ROOT, Settings
from spark.package import project_archive
from spark.session import spark_conf

SUBMIT_SCRIPT = REPO_ROOT / "spark" / "submit.py"


@dataclass(frozen=True)
class RenderConfig:
    """Everything the render needs besides the graph."""

    settings: Settings
    graph_ref: str = "assets.definitions:load_graph"  # what spark/submit.py loads (--graph)
    source_every: timedelta = timedelta(minutes=15)
    watchdog_every: timedelta = timedelta(minutes=15)  # how soon a stalled source is noticed
    start_date: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    spark_conn_id: str = SPARK_CONN_ID
    bin_dir: Path = field(default_factory=lambda: Path(sys.executable).parent)  # the venv's bin
    # A waiting check looks again after this long. Each poke is a short task (~1 s); at 30 s a consumer lost
    # 20-25 s per wait in the late-day benchmark (tests/bench/test_airflow_late_day_bench.py).
    wait_poke_s: float = 10.0
    wait_timeout_s: float = 3600.0
    # Power BI reads these assets' tables: refresh its dataset once they publish (no-op without a connection).
    powerbi_refresh_after: tuple[str, ...] = ("reorder_predictions",)

    @property
    def spark_binary(self) -> str:
        return str(self.bin_dir / "spark-submit")

    @property
    def python(self) -> str:
        return str(self.bin_dir / "python")


def asset_uri(settings: Settings, spec: AssetSpec) -> str:
    """The real location of an asset, e.g. file:///…/lake/raw/sales or s3://bucket/lake/raw/sales."""
    return lake_url(settings, spec.storage.path)


def airflow_asset(settings: Settings, spec: AssetSpec) -> Asset:
    return Asset(name=spec.name, uri=asset_uri(settings, spec), group="shelfwise")


def schedule_of(graph: AssetGraph, spec: AssetSpec, config: RenderConfig):
    """Sources: a timetable. Derived: any one upstream asset event (its own previous day, and reference
    dimensions read as of build, excluded: a new store starts no rebuild)."""
    if spec.is_source:
        return DeltaTriggerTimetable(config.source_every)
    upstream = sorted({u.asset for u in spec.tracked_upstream} - {spec.name})
    return AssetAny(*(airflow_asset(config.settings, graph[u]) for u in upstream))


def render_dags(graph: AssetGraph, config: RenderConfig) -> dict[str, DAG]:
    """One DAG per asset, keyed (and sorted) by asset name, plus the freshness watchdog when any asset
    declares an objective."""
    dags = {name: render_dag(graph, graph[name], config) for name in sorted(graph.order)}
    if any(graph[name].freshness for name in graph.order):
        dags[WATCHDOG_DAG_ID] = render_freshness_watchdog(graph, config)
    return dags


WATCHDOG_DAG_ID = "shelfwise_freshness"


def render_freshness_watchdog(graph: AssetGraph, config: RenderConfig) -> DAG:
    """A scheduled DAG that checks every declared freshness objective on its own clock.

    The per-asset `freshness` task runs only when its asset's DAG runs; a stalled upstream starts no run, so
    only this DAG notices that nothing arrived.
    """
    watched = sorted(name for name in graph.order if graph[name].freshness is not None)
    with DAG(
        dag_id=WATCHDOG_DAG_ID,
        description="Fails (alerts) when any asset misses its freshness objective, whether it ran or not.",
        schedule=config.watchdog_every,
        start_date=config.start_date,
        catchup=False,
        max_active_runs=1,
        tags=["shelfwise", "freshness"],
        doc_md="Checks the objectives of: " + ", ".join(f"`{name}`" for name in watched),
    ) as dag:

        @task(task_id="objectives", retries=0)
        def objectives() -> str:
            problems = steps.freshness_problems(graph, at_run_time(config.settings))
            if problems:
                raise AirflowFailException("freshness objectives missed: " + "; ".join(problems))
            return f"{len(watched)} freshness objectives met"

        objectives()
    return dag


BACKFILL_PARAMS = {
    # format "date" makes Airflow refuse a trigger with '2026-3-1', which would select nothing
    "date_from": Param(None, type=["null", "string"], format="date", description="first day (YYYY-MM-DD)"),
    "date_to": Param(None, type=["null", "string"], format="date", description="last day (YYYY-MM-DD)"),
    "force": Param(False, type="boolean", description="rebuild the range even where fresh"),
}


def render_dag(graph: AssetGraph, spec: AssetSpec, config: RenderConfig) -> DAG:
    """The DAG that keeps one asset fresh: check -> materialize -> gate -> publish (-> rejections)."""
    settings, name = config.settings, spec.name
    outlet = airflow_asset(settings, spec)
    with DAG(
        dag_id=name,
        description=spec.description,
        schedule=schedule_of(graph, spec, config),
        start_date=config.start_date,
        catchup=False,
        max_active_runs=1,  # runs of one asset queue up; a second event then finds it up to date
        params=dict(BACKFILL_PARAMS),
        tags=["shelfwise", *spec.tags],
        default_args={
            "owner": spec.owner or "shelfwise",
            "retries": spec.retries or 0,
            "retry_delay": timedelta(minutes=1),
        },
        doc_md=f"**{name}** — {spec.description}\n\nBuilt by `{spec.job}`; lives at `{outlet.uri}`.",
    ) as dag:
        check = _check_task(graph, name, config)
        materialize = _materialize_task(graph, name, config)
        gate = _gate_task(graph, name, settings)
        publish = _publish_task(graph, name, settings, outlet)
        check >> materialize >> gate >> publish
        if spec.gate is not None:
            publish >> _rejections_task(name, settings)
        if spec.freshness is not None:
            publish >> _freshness_task(graph, name, settings)
        if name in config.powerbi_refresh_after:
            publish >> _powerbi_refresh_task()
    return dag


def _check_task(graph: AssetGraph, name: str, config: RenderConfig):
    @task.sensor(
        task_id="check",
        mode="reschedule",
        poke_interval=config.wait_poke_s,
        timeout=_wait_bound_s(graph[name], config),
        retries=0,
    )
    def check(params=None, run_id=None) -> PokeReturnValue:
        """Wait while an upstream is due; skip when up to date; else hand on the partitions to build."""
        outcome = steps.check(graph, at_run_time(config.settings), name, run_id, dict(params or {}))
        print(f"check {name}: {outcome.action} — {outcome.reason}")
        if outcome.action == "skip":
            raise AirflowSkipException(outcome.reason)
        if outcome.action == "wait":
            return PokeReturnValue(is_done=False)
        return PokeReturnValue(is_done=True, xcom_value={"partitions": ",".join(outcome.partitions)})

    return check()


def at_run_time(settings: Settings) -> Settings:
    """The settings a task works with: the parsed ones, with the warehouse server of the
    `shelfwise_clickhouse` connection and the Spark Connect server of `shelfwise_spark_connect` when Airflow
    has them (looked up in the task, never while parsing)."""
    found = {"clickhouse_url": warehouse_url_from_connection(),
             "spark_remote": spark_remote_from_connection()}
    update = {key: value for key, value in found.items() if value is not None}
    return settings.model_copy(update=update) if update else settings


def spark_remote_from_connection() -> str | None:
    from airflow.providers.apache.spark.hooks.spark_connect import SparkConnectHook  # lazy: only in tasks

    try:
        return SparkConnectHook(SPARK_CONNECT_CONN_ID).get_connection_url()
    except AirflowNotFoundException:
        return None  # the settings' own remote (or none: spark-submit)


def warehouse_url_from_connection() -> str | None:
    try:
        return clickhouse_url_of(BaseHook.get_connection(CLICKHOUSE_CONN_ID))
    except AirflowNotFoundException:
        return None  # no server configured: the embedded chdb of the settings


def _wait_bound_s(spec: AssetSpec, config: RenderConfig) -> float:
    """The asset's own bound on waiting for its upstreams, else the render's default."""
    return spec.max_wait_minutes * 60.0 if spec.max_wait_minutes else config.wait_timeout_s


class AssetSparkSubmit(SparkSubmitOperator):
    """spark-submit of spark/submit.py with shelfwise's Spark settings, worked out when the task runs.

    The jar list comes from the cache folder and the project zip (`--py-files`, what Python workers on other
    hosts import) is built from the code, so both are worked out at run time, never while parsing the DAG.
    """

    def __init__(self, *, settings: Settings, **kwargs):
        super().__init__(**kwargs)
        self.shelfwise_settings = settings

    def execute(self, context):
        self.py_files = str(project_archive(self.shelfwise_settings))
        conf = spark_conf(self.shelfwise_settings)
        # master comes from the connection; S3 keys are set by the job's own session, not on a command line
        self.conf = {k: v for k, v in conf.items() if k != "spark.master" and "s3a" not in k}
        url = warehouse_url_from_connection()
        if url is not None:  # spark-submit inherits it; in env_vars it would show in the rendered task
            os.environ["CLICKHOUSE_URL"] = url
        return super().execute(context)


def _materialize_task(graph: AssetGraph, name: str, config: RenderConfig):
    settings = config.settings
    xcom = "ti.xcom_pull(task_ids='check')"

    def record_failure(context) -> None:
        exc = context.get("exception")
        steps.record_failure(graph, at_run_time(settings), name, context["run_id"], f"job failed: {exc}")

    # lineage of what no schedule names
    inlets = [airflow_asset(settings, graph[u]) for u in graph[name].as_of_build_names]
    if settings.spark_remote:
        return _connect_build_task(graph, name, settings, inlets, record_failure)
    return AssetSparkSubmit(
        task_id="materialize",
        inlets=inlets,
        pool=SPARK_POOL,
        settings=settings,
        application=str(SUBMIT_SCRIPT),
        conn_id=config.spark_conn_id,
        spark_binary=config.spark_binary,
        name=f"shelfwise-{name}",
        application_args=[
            "--asset",
            name,
            "--partitions",
            f"{{{{ {xcom}['partitions'] }}}}",
            "--run-id",
            "{{ run_id }}",
            "--graph",
            config.graph_ref,
        ],
        env_vars={
            "PYSPARK_PYTHON": config.python,
            "PYSPARK_DRIVER_PYTHON": config.python,
            **settings_env(settings),
        },
        on_failure_callback=record_failure,
    )


def _connect_build_task(graph: AssetGraph, name: str, settings: Settings, inlets: list, on_failure):
    @task(task_id="materialize", inlets=inlets, pool=SPARK_POOL, on_failure_callback=on_failure)
    def materialize(ti=None, run_id=None) -> dict:
        """Build the partitions the check planned, on the Spark Connect server (spark/session.py)."""
        partitions = steps.parse_partitions(ti.xcom_pull(task_ids="check")["partitions"])
        result = steps.build(graph, at_run_time(settings), name, partitions, run_id)
        print(f"{name}: {result['row_count']} rows, saved with run {run_id}")
        return {"row_count": result["row_count"]}

    return materialize()


def _gate_task(graph: AssetGraph, name: str, settings: Settings):
    @task(task_id="gate", retries=0)
    def gate(run_id=None) -> dict:
        """Validate what was just built; rejected partitions are held back, and with none left, no event."""
        try:
            return steps.gate(graph, at_run_time(settings), name, run_id)
        except steps.GateFailed as failed:
            raise AirflowFailException(str(failed)) from failed

    return gate()


def _publish_task(graph: AssetGraph, name: str, settings: Settings, outlet: Asset):
    @task(task_id="publish", outlets=[outlet])
    def publish(run_id=None, outlet_events=None) -> dict:
        """Record the partitions and emit the asset event carrying their versions."""
        try:
            extra = steps.publish(graph, at_run_time(settings), name, run_id)
        except steps.NothingToPublish as nothing:
            raise AirflowSkipException(str(nothing)) from nothing
        outlet_events[outlet].extra = extra
        return {"partitions": len(extra["partitions"]), "row_count": extra["row_count"]}

    return publish()


def _rejections_task(name: str, settings: Settings):
    @task(task_id="rejections", retries=0)
    def rejections(run_id=None) -> None:
        """Fail the run, once the good partitions are published, when the gate rejected some of them."""
        rejected, message = steps.rejection(settings, name, run_id)
        if rejected:
            raise AirflowFailException(message)

    return rejections()


def _freshness_task(graph: AssetGraph, name: str, settings: Settings):
    @task(task_id="freshness", trigger_rule="all_done", retries=0)
    def freshness() -> None:
        """Alert (fail this task) when the asset breaks its freshness objective, built this run or not."""
        problems = steps.freshness_problems(graph, at_run_time(settings), name)
        if problems:
            raise AirflowFailException("freshness objective missed: " + "; ".join(problems))

    return freshness()


def _powerbi_refresh_task():
    @task(task_id="powerbi_refresh", retries=2)
    def powerbi_refresh() -> str:
        """Ask Power BI to refresh the dataset on these tables (skips, logging why, without a connection)."""
        return refresh_from_airflow()

    return powerbi_refresh()
