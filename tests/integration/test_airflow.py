"""Airflow 3 on a small real chain: each asset's DAG run by dag.test() — check, spark-submit, gate, publish.

Real Airflow (SQLite metadata DB in a temporary AIRFLOW_HOME), real spark-submit of spark/submit.py, chdb.
"""

import json
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from infra.airflow_local import migrate_db
from infra.airflow_wiring import SPARK_POOL
from infra.settings import REPO_ROOT, Settings
from tests.airflow_home import use_throwaway_home

AIRFLOW_TEST_HOME = use_throwaway_home()  # before anything imports Airflow

pytestmark = pytest.mark.airflow

CHAIN = Path(__file__).resolve().parent / "till_chain.py"
GRAPH_REF = f"{CHAIN}:GRAPH"
GATED_REF = f"{CHAIN.with_name('gated_chain.py')}:GRAPH"
STEPS = ("check", "materialize", "gate", "publish")
DAG_FILE = '''"""The test chain, rendered like dags/shelfwise_assets.py renders the real graph."""
from pathlib import Path

from assets.airflow_render import RenderConfig, render_dags
from infra.settings import Settings
from spark.submit import load_graph_ref

settings = Settings(home=Path({home!r}), lake_url="", clickhouse_url="")
globals().update(render_dags(load_graph_ref({ref!r}), RenderConfig(settings, graph_ref={ref!r})))
'''
DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """(settings, graph, dags, write_sales) for the chain, with a migrated Airflow DB and warehouse."""
    settings, graph, dags = rendered(tmp_path_factory, "chain", GRAPH_REF)
    return settings, graph, dags, chain_module().write_sales


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    """(settings, graph, dags) for the gated chain (real inventory_snapshot and daily_features suites)."""
    from .gated_chain import write_reference

    settings, graph, dags = rendered(tmp_path_factory, "gated", GATED_REF)
    write_reference(settings)
    return settings, graph, dags


def rendered(tmp_path_factory, name: str, graph_ref: str):
    """Write the graph's DAG file into the test dags folder, migrate both databases, render the DAGs here."""
    from assets.airflow_render import RenderConfig, render_dags
    from infra.warehouse import Warehouse, migrate
    from spark.submit import load_graph_ref

    home = tmp_path_factory.mktemp(f"airflow-{name}") / "home"
    settings = Settings(home=home, lake_url="", clickhouse_url="")
    migrate(Warehouse(settings))
    dags_folder = AIRFLOW_TEST_HOME / "dags"
    dags_folder.mkdir(parents=True, exist_ok=True)
    (dags_folder / f"shelfwise_{name}.py").write_text(DAG_FILE.format(home=str(home), ref=graph_ref))
    migrate_db({}, AIRFLOW_TEST_HOME / "migrate.log")
    graph = load_graph_ref(graph_ref)
    return settings, graph, render_dags(graph, RenderConfig(settings, graph_ref=graph_ref))


def run(dag) -> dict[str, str]:
    """One dag.test() run; the state of each task."""
    run = dag.test()
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def events(asset: str) -> list[dict]:
    """The extras of every event recorded for the asset, oldest first."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = (
            select(AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.name == asset)
            .order_by(AssetEvent.id)
        )
        return [dict(extra) for extra in session.scalars(query)]


def spark_pool() -> tuple[str, int] | None:
    """The Spark pool as the metadata database holds it (name, slots)."""
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        pool = session.scalars(select(Pool).where(Pool.pool == SPARK_POOL)).one_or_none()
        return None if pool is None else (pool.pool, pool.slots)


def test_chain_builds_once_then_skips_then_builds_only_the_new_day(chain):
    from assets.event_extra import AssetEventExtra
    from assets.records import MaterializationStore
    from infra.warehouse import Warehouse

    settings, graph, dags, write_sales = chain
    write_sales(settings, DAYS)
    for name in graph.order:
        states = run(dags[name])
        assert states == dict.fromkeys(STEPS, "success"), name
        (extra,) = events(name)
        AssetEventExtra.model_validate(extra)
        assert extra["partitions"] == DAYS
    assert events("totals")[0]["input_versions"]["raw"] == events("raw")[0]["data_versions"]
    assert spark_pool() == (SPARK_POOL, 2), "migrate_db creates the pool every materialize task runs in"
    assert {t.pool for d in dags.values() for t in d.tasks if t.task_id == "materialize"} == {SPARK_POOL}

    # Nothing changed: the source asks for news and publishes nothing; consumers stop at check.
    assert run(dags["raw"])["publish"] == "skipped"
    for name in ("totals", "rolling"):
        assert run(dags[name]) == dict.fromkeys(STEPS, "skipped")
    assert [len(events(name)) for name in graph.order] == [1, 1, 1]

    write_sales(settings, DAYS + ["2026-03-04"])
    for name in graph.order:
        assert run(dags[name])["publish"] == "success", name
        assert events(name)[-1]["partitions"] == ["2026-03-04"]
    assert events("rolling")[-1]["input_versions"]["totals"].keys() == {
        "2026-03-02",
        "2026-03-03",
        "2026-03-04",
    }

    latest = MaterializationStore(Warehouse(settings)).latest_successes()
    assert set(latest) == {(a, d) for a in graph.order for d in DAYS + ["2026-03-04"]}
    assert latest[("rolling", "2026-03-04")].run_id.startswith("manual__")
    assert latest[("totals", "2026-03-01")].row_count == 2


def test_a_blocking_gate_holds_back_the_bad_day_fails_the_run_and_a_warning_travels_on(gated):
    from .gated_chain import DAYS, break_ledger

    settings, _, dags = gated
    good = dict.fromkeys(STEPS, "success")
    break_ledger(settings, DAYS[1], [1, 0, 0, 0, 0, 0])  # one row of one day no longer balances
    for source in ("stores", "products", "raw_sales"):  # the masters first: the ledger's suite reads them
        assert run(dags[source])["publish"] == "success"

    # The gate rejects that day only: the others publish, then the run fails, naming the expectation.
    assert run(dags["inventory_snapshot"]) == {**good, "rejections": "failed"}
    (extra,) = events("inventory_snapshot")
    assert extra["partitions"] == [DAYS[0], DAYS[2]]
    assert [(b["expectation"], b["partition"]) for b in extra["gate"]["blocking"]] == [
        ("expect_column_values_to_be_between(ledger_gap)", DAYS[1])
    ]
    # Downstream builds only the feature window without the rejected day; a warning does not stop it.
    assert run(dags["daily_features"]) == {**good, "rejections": "success"}
    (features,) = events("daily_features")
    assert features["partitions"] == [DAYS[0]]
    assert [w["expectation"] for w in features["gate"]["warnings"]] == [
        "expect_column_values_to_not_be_null(lag_1)"
    ]

    # Retried while still broken: nothing left to publish, so the gate fails and no event is emitted.
    states = run(dags["inventory_snapshot"])
    assert states["gate"] == "failed" and states["publish"] == states["rejections"] == "upstream_failed"
    assert len(events("inventory_snapshot")) == 1

    break_ledger(settings, DAYS[1], 0)  # fixed at the source: the day builds, and its consumers follow
    assert run(dags["inventory_snapshot"]) == {**good, "rejections": "success"}
    assert events("inventory_snapshot")[-1]["partitions"] == [DAYS[1]]
    assert run(dags["daily_features"])["publish"] == "success"
    assert events("daily_features")[-1]["partitions"] == [DAYS[1], DAYS[2]]


class Api:
    """A small client of Airflow's REST API (v2), logged in as the standalone admin."""

    def __init__(self, port: int, password: str):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        token = self.call("POST", "/auth/token", {"username": "admin", "password": password}, auth=False)
        self.token = token["access_token"]

    def call(self, method: str, path: str, body: dict | None = None, auth: bool = True) -> dict:
        request = urllib.request.Request(
            self.base + path, method=method, data=json.dumps(body).encode() if body else None
        )
        request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", f"Bearer {self.token}")
        with self.opener.open(request, timeout=30) as response:
            return json.load(response)


def wait_for(what: str, probe, timeout_s: float = 240.0, every_s: float = 3.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}")


def chain_module():
    """tests/integration/till_chain.py, loaded the way spark/submit.py loads it."""
    if "till_chain" not in sys.modules:
        from spark.submit import load_graph_ref

        load_graph_ref(GRAPH_REF)
    return sys.modules["till_chain"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    """Airflow standalone (scheduler, dag-processor, triggerer, API) on the real DAG file plus the chain."""
    from infra.airflow_local import AirflowStandalone, admin_password
    from infra.warehouse import Warehouse, migrate

    home = tmp_path_factory.mktemp("airflow-standalone") / "home"
    settings = Settings(
        home=home, lake_url="", clickhouse_url="", airflow_port=free_port(), spark_connect_port=free_port(),
        service_start_timeout_s=240,
    )
    migrate(Warehouse(settings))
    dags_folder = home / "dags"
    dags_folder.mkdir(parents=True)
    (dags_folder / "shelfwise_assets.py").symlink_to(REPO_ROOT / "dags" / "shelfwise_assets.py")
    (dags_folder / "shelfwise_chain.py").write_text(DAG_FILE.format(home=str(home), ref=GRAPH_REF))
    service = AirflowStandalone(settings, dags_folder)
    service.start()
    try:
        yield settings, Api(settings.airflow_port, admin_password(settings))
    finally:
        service.stop()


def test_rest_api_shows_every_declared_asset_with_its_producer_and_consumers(standalone):
    from assets.definitions import load_graph

    _, api = standalone
    graph = load_graph()

    def declared_assets():
        assets = {a["name"]: a for a in api.call("GET", "/api/v2/assets?limit=100")["assets"]}
        return assets if set(graph.order) <= set(assets) else None

    assets = wait_for("the dag-processor to register every asset", declared_assets)
    assert api.call("GET", "/api/v2/importErrors")["total_entries"] == 0
    for name in graph.order:
        tracked = {d for d in graph.downstream(name) if name in {u.asset for u in graph[d].tracked_upstream}}
        assert {d["dag_id"] for d in assets[name]["scheduled_dags"]} == tracked, name
        # a reference dimension read as of build triggers no one: its readers show it as an inlet
        readers = {(t["dag_id"], t["task_id"]) for t in assets[name]["consuming_tasks"]}
        assert readers == {(d, "materialize") for d in set(graph.downstream(name)) - tracked}, name
        assert {t["dag_id"] for t in assets[name]["producing_tasks"]} == {name}


def test_scheduler_runs_the_downstream_dags_from_asset_events(standalone):
    settings, api = standalone
    chain_module().write_sales(settings, DAYS)

    def chain_dags_parsed():
        try:
            return all(api.call("GET", f"/api/v2/dags/{dag_id}") for dag_id in ("raw", "totals", "rolling"))
        except urllib.error.HTTPError:
            return False

    wait_for("the dag-processor to parse the chain", chain_dags_parsed)
    for dag_id in ("raw", "totals", "rolling"):
        api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
    api.call("POST", "/api/v2/dags/raw/dagRuns", {"logical_date": None})

    def rolling_done():
        runs = api.call("GET", "/api/v2/dags/rolling/dagRuns?state=success")["dag_runs"]
        return runs or None

    (run,) = wait_for("rolling to run from totals' asset event", rolling_done, timeout_s=300)
    assert run["run_type"] == "asset_triggered"
    events = api.call("GET", "/api/v2/assets/events?source_dag_id=rolling")["asset_events"]
    assert events and events[-1]["extra"]["partitions"] == DAYS


def test_freshness_watchdog_alerts_on_a_stalled_source_without_any_asset_run(tmp_path_factory):
    """A source that never delivers starts no run of its own DAG; the watchdog DAG still fails, naming it,
    and passes once the source has published within its objective."""
    from assets import steps
    from assets.airflow_render import WATCHDOG_DAG_ID

    settings, graph, dags = rendered(tmp_path_factory, "watched", f"{CHAIN}:WATCHED")
    assert sorted(dags) == [WATCHDOG_DAG_ID, "watched_till"]

    watchdog = dags[WATCHDOG_DAG_ID].test()
    (objectives,) = watchdog.get_task_instances()
    assert str(objectives.state) == "failed"
    assert steps.freshness_problems(graph, settings) == ["watched_till: last built never, objective 15 min"]

    chain_module().write_sales(settings, DAYS)
    assert run(dags["watched_till"])["publish"] == "success"
    assert run(dags[WATCHDOG_DAG_ID]) == {"objectives": "success"}
