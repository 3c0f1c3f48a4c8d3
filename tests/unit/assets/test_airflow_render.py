"""The DAG file and the render layer: one DAG per asset, any-of schedules, cheap parsing, a pinned shape."""

import json
import os
from pathlib import Path

import pytest

from infra.settings import REPO_ROOT, Settings
from tests.airflow_home import use_throwaway_home

AIRFLOW_TEST_HOME = use_throwaway_home()  # before anything imports Airflow

pytestmark = pytest.mark.airflow

DAGS = REPO_ROOT / "dags"
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "airflow_dags.json"


def dag_bag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="module")
def bag():
    return dag_bag()


def upstream_names(dag) -> set[str]:
    """The asset names a DAG's schedule listens to (empty for a timetable)."""
    from airflow.sdk import AssetAny

    condition = getattr(dag.timetable, "asset_condition", None)
    if condition is None:
        return set()
    assert isinstance(condition, AssetAny), f"{dag.dag_id} must trigger on ANY upstream, got {condition!r}"
    return {asset.name for asset in condition.objects}


def test_dag_file_imports_cleanly_with_one_dag_per_declared_asset(bag):
    from assets.airflow_render import WATCHDOG_DAG_ID
    from assets.definitions import load_graph

    graph = load_graph()
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == sorted([*graph.order, WATCHDOG_DAG_ID])
    assert not [t for t in bag.dags[WATCHDOG_DAG_ID].tasks if t.outlets], "the watchdog emits no asset event"
    for name in graph.order:
        spec = graph[name]
        assert upstream_names(bag.dags[name]) == {u.asset for u in spec.tracked_upstream} - {name}
        read_as_is = {u.asset for u in spec.upstream} - {u.asset for u in spec.tracked_upstream}
        inlets = {i.name for i in bag.dags[name].get_task("materialize").inlets}
        assert inlets == read_as_is, "reference dimensions read as of build show as inlets, not triggers"
        outlets = [o for t in bag.dags[name].tasks for o in t.outlets]
        assert [o.name for o in outlets] == [name], "only publish emits, and only this asset"


def test_parsing_makes_no_database_query_connection_lookup_or_lake_access(monkeypatch):
    from airflow import settings as airflow_settings
    from airflow.sdk import BaseHook
    from sqlalchemy import event

    queries, lookups = [], []

    def count(*args, **kwargs):
        queries.append(args[2] if len(args) > 2 else "?")

    def refuse(*args, **kwargs):
        raise AssertionError("the DAG file touched the warehouse or the lake while parsing")

    monkeypatch.setattr(BaseHook, "get_connection", classmethod(lambda cls, conn_id: lookups.append(conn_id)))
    monkeypatch.setattr("infra.warehouse.Warehouse.session", refuse)
    monkeypatch.setattr("infra.lake.lake_fs", refuse)
    event.listen(airflow_settings.engine, "before_cursor_execute", count)
    try:
        bag = dag_bag()
    finally:
        event.remove(airflow_settings.engine, "before_cursor_execute", count)
    assert bag.import_errors == {}
    assert queries == [] and lookups == []


def shape(bag, settings_lake: str) -> dict:
    """dag id -> schedule, tasks with their downstream tasks and outlets (URIs relative to the lake)."""
    snapshot = {}
    for dag_id in sorted(bag.dag_ids):
        dag = bag.dags[dag_id]
        upstream = sorted(upstream_names(dag))
        snapshot[dag_id] = {
            "schedule": {"any_of": upstream} if upstream else repr(dag.timetable),
            "params": sorted(dag.params),
            "tasks": {
                t.task_id: {
                    "type": type(t).__name__,
                    "downstream": sorted(t.downstream_task_ids),
                    "outlets": [o.uri.removeprefix(settings_lake) for o in t.outlets],
                }
                for t in sorted(dag.tasks, key=lambda t: t.task_id)
            },
        }
    return snapshot


def test_generated_dags_match_the_snapshot(bag):
    """Pins dag ids, tasks, wiring, schedules and outlets; rewrite with SHELFWISE_UPDATE_SNAPSHOTS=1."""
    from infra.settings import get_settings

    current = shape(bag, get_settings().lake)
    if os.environ.get("SHELFWISE_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    assert SNAPSHOT.exists(), f"{SNAPSHOT} is missing: write it with SHELFWISE_UPDATE_SNAPSHOTS=1, review it"
    assert current == json.loads(SNAPSHOT.read_text())


def test_asset_uris_name_the_real_lake_location(tmp_path):
    from assets.airflow_render import asset_uri
    from assets.definitions import load_graph

    graph = load_graph()
    file_lake = Settings(home=tmp_path, lake_url="")
    s3_lake = Settings(home=tmp_path, lake_url="s3://shelfwise/lake")
    assert (
        asset_uri(file_lake, graph["raw_sales"]) == (tmp_path / "lake" / "raw" / "sales").resolve().as_uri()
    )
    assert asset_uri(s3_lake, graph["daily_features"]) == "s3://shelfwise/lake/curated/daily_features"


def test_a_check_waits_for_its_upstreams_no_longer_than_its_asset_states(tmp_path):
    from dataclasses import replace

    from assets.airflow_render import RenderConfig, render_dags
    from assets.definitions import DEFAULT_MAX_WAIT_MINUTES, load_graph
    from assets.graph import build_graph

    graph = load_graph()
    impatient = replace(graph["daily_features"], max_wait_minutes=5)
    graph = build_graph([impatient if n == "daily_features" else graph[n] for n in graph.order])
    dags = render_dags(graph, RenderConfig(Settings(home=tmp_path, lake_url="")))
    assert dags["daily_features"].get_task("check").timeout == 300
    assert dags["inventory_snapshot"].get_task("check").timeout == DEFAULT_MAX_WAIT_MINUTES * 60


def test_event_extra_shape_is_validated():
    from pydantic import ValidationError

    from assets.event_extra import AssetEventExtra, event_extra
    from assets.records import Record

    record = Record("run-1", "totals", "2026-03-01", "success", "v1", "c1", {"raw": {"2026-03-01": "r1"}}, 2)
    extra = event_extra("totals", "run-1", "c1", [record], {})
    assert extra["partitions"] == ["2026-03-01"] and extra["input_versions"] == {"raw": {"2026-03-01": "r1"}}
    assert extra["gate"]["passed"] is True
    with pytest.raises(ValidationError):
        AssetEventExtra.model_validate({**extra, "row_count": -1})
    with pytest.raises(ValidationError):
        AssetEventExtra.model_validate({**extra, "partitions": []})


def test_an_event_extra_stays_small_however_many_partitions_warned():
    import json
    from datetime import date, timedelta

    from assets.event_extra import event_extra
    from assets.records import Record
    from expectations.result import NAMED_FAILURES

    days = [(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(365)]
    rows = [{"store_id": "S001", "sku": f"SKU{n:05d}", "note": "x" * 200} for n in range(5)]
    warnings = [{"expectation": "expect_table_row_count_to_be_between", "partition": day, "column": "",
                 "why": "a quiet day", "observed": "12", "unexpected_count": 0, "sample_rows": rows}
                for day in days]  # fmt: skip
    gate = {"suite": "raw_sales", "passed": True, "evaluated": 4000, "blocking": [], "warnings": warnings,
            "report": "file:///docs/index.html"}  # fmt: skip
    records = [Record("run-1", "raw_sales", day, "success", "v", "c", {}, 10) for day in days]
    extra = event_extra("raw_sales", "run-1", "c", records, gate)
    named = extra["gate"]["warnings"]
    assert len(named) == NAMED_FAILURES and extra["gate"]["warnings_total"] == 365
    assert [w["partition"] for w in named] == days[:NAMED_FAILURES] and "sample_rows" not in named[0]
    assert len(json.dumps(extra["gate"])) < 4_000  # the partitions and their versions are the bulk


def test_materialize_builds_on_the_spark_connect_server_the_settings_name_else_submits(tmp_path):
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    from assets.airflow_render import RenderConfig, render_dags
    from assets.definitions import load_graph

    graph = load_graph()
    submit = render_dags(graph, RenderConfig(Settings(home=tmp_path, lake_url="")))
    remote = Settings(home=tmp_path, lake_url="", spark_remote="sc://127.0.0.1:15002")
    connect = render_dags(graph, RenderConfig(remote))
    for name in graph.order:
        submitted, built = submit[name].get_task("materialize"), connect[name].get_task("materialize")
        assert isinstance(submitted, SparkSubmitOperator) and not isinstance(built, SparkSubmitOperator)
        assert built.pool == submitted.pool and built.inlets == submitted.inlets
        assert built.downstream_task_ids == submitted.downstream_task_ids == {"gate"}
