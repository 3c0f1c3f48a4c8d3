"""A day of late sales through the real Airflow scheduler: how long until every partition reading it is fresh.

A small simulated chain (3 stores x 30 SKUs x 60 days) is built in-process first; then Airflow 3 standalone
runs the real dags/ (the real asset graph) against the same home, a file lake, the embedded chdb and the real
Kafka broker; the `materialize` tasks build on the Spark Connect server Airflow starts with it. Once every DAG
is unpaused and the sources' first runs are over, a few late sales for the history's last day go to Kafka, the
raw_sales DAG is triggered (rather than waiting up to 15 minutes for its timetable), and the clock runs until
`Runner.plan()` shows nothing stale. The sources' next timetable runs are then 15 minutes away, so they do not
compete with the cascade.

The history ends on the last Wednesday before today (yesterday when run on a Thursday), so every run rebuilds
the same partitions: a late Sunday would also rebuild the three weekly assets of the week it completes
(demand_model retrains), a late Monday to Saturday never does.

Figures (tests/bench/results/airflow_late_day.json; the goal of #18 is airflow_late_day_s <= 90):
- airflow_late_day_s: late events sent -> the last affected partition recorded fresh (materialization log)
- seen_fresh_s: the same, as the poll saw it (plan empty)
- `<dag>_s`: per DAG that published, its first run's start to its last publish end; `<dag>_runs`: its
  runs; `<dag>_materialize_s`: its materialize task's seconds
- check_s, materialize_s, gate_s, publish_s, other_tasks_s: summed task seconds by kind (check: from its
  run's start to its decision, waiting included); check_pokes: the sensors' pokes
- busy_s: wall seconds in which some task ran (sensor pokes only, not their waits); idle_s = total - busy
- queue_wait_s: summed seconds tasks spent scheduled or queued before they started
- partitions_rebuilt, dag_runs, timetable_runs (source or watchdog runs their clock started meanwhile)
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from assets.airflow_render import WATCHDOG_DAG_ID
from assets.definitions import load_graph
from assets.runner import Runner
from infra.airflow_local import AirflowStandalone, admin_password, airflow_home
from infra.kafka_local import ensure_topics
from infra.lake import read_partition_versions
from infra.settings import Settings
from infra.simulator import faults
from infra.simulator.cli import run_scenario
from infra.warehouse import Warehouse, migrate
from spark.jobs.ingest_state import latest_offsets, write_checkpoint
from spark.schemas import TOPICS
from tests.integration.test_airflow import Api, free_port, wait_for

pytestmark = pytest.mark.bench

STORES, SKUS, DAYS, SEED = 3, 30, 60, 7
LATE_SALES = 5
CASCADE_TIMEOUT_S = 1800.0
POLL_S = 5.0
LATE_WEEKDAY = 2  # Wednesday: mid-week, no weekly partition contains it yet
KINDS = ("check", "materialize", "gate", "publish")


@pytest.mark.timeout(5400)  # history build + Airflow start + cascade: far past the 15-minute default
def test_a_late_day_cascades_through_the_airflow_dags(services, tmp_path, results_writer):
    settings = services.model_copy(update={
        "home": tmp_path / "home", "lake_url": "", "warehouse_path": None, "airflow_port": free_port(),
        "service_start_timeout_s": 300.0,
    })  # fmt: skip
    graph, day = load_graph(), late_day()
    figures = {"history_build_s": build_history(settings, graph, day)}
    airflow = AirflowStandalone(settings)  # the real dags/ folder, this home's SHELFWISE_* settings
    started = time.perf_counter()
    try:
        airflow.start()
        figures["airflow_start_s"] = round(time.perf_counter() - started, 1)
        api = Api(settings.airflow_port, admin_password(settings))
        figures["settle_s"] = settle(api, graph)
        sent = send_late_sales(settings, day)
        api.call("POST", "/api/v2/dags/raw_sales/dagRuns", {"logical_date": None})
        figures["seen_fresh_s"] = wait_until_fresh(settings, graph, api, day.isoformat(), sent)
        wait_until_idle(api)
    finally:
        airflow.stop()
    figures |= log_figures(settings, sent)
    figures |= airflow_figures(airflow_home(settings) / "airflow.db", sent, figures["airflow_late_day_s"])
    print(figures)
    results_writer("airflow_late_day", figures)


def say(message: str) -> None:
    print(f"[airflow_late_day {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def late_day() -> date:
    """The day the late sales belong to and the history's last: the latest Wednesday before today."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    return yesterday - timedelta(days=(yesterday.weekday() - LATE_WEEKDAY) % 7)


def build_history(settings: Settings, graph, last_day: date) -> float:
    """Simulate the chain up to `last_day` into Kafka (this home's checkpoints start at the topics' current
    end), then build every asset in-process; returns the seconds of the build."""
    ensure_topics(settings)
    for topic in TOPICS:  # other benches may share the broker: this lake reads only what follows
        write_checkpoint(settings, topic, latest_offsets(settings, topic))
    start = last_day - timedelta(days=DAYS - 1)
    run_scenario(settings, stores=STORES, skus=SKUS, days=DAYS, seed=SEED, start=start)
    migrate(Warehouse(settings))
    say("building the whole history in-process")
    started = time.perf_counter()
    runner = Runner(graph, settings)
    report = runner.materialize()
    assert not report.failed, [(o.asset, o.message) for o in report.failed]
    assert not stale(runner), f"stale right after the history build: {stale(runner)}"
    seconds = round(time.perf_counter() - started, 1)
    say(f"history built in {seconds}s")
    return seconds


def stale(runner: Runner) -> dict[str, list[str]]:
    """{asset: 'partition (reason)' lines} of every partition a materialize would build now."""
    plans = runner.plan()
    return {name: [f"{p.key} ({p.reason})" for p in plan.to_build()] for name, plan in plans.items()
            if plan.to_build()}  # fmt: skip


def active_runs(api: Api) -> list[str]:
    runs = api.call("GET", "/api/v2/dags/~/dagRuns?state=queued&state=running&limit=100")["dag_runs"]
    return sorted(f"{r['dag_id']} ({r['state']})" for r in runs)


def settle(api: Api, graph) -> float:
    """Unpause every shelfwise DAG, start each source's first run, wait until no run is left; seconds."""
    started = time.perf_counter()
    expected = {*graph.order, WATCHDOG_DAG_ID}

    def parsed():
        found = {d["dag_id"] for d in api.call("GET", "/api/v2/dags?limit=100")["dags"]}
        return expected <= found

    wait_for("the dag-processor to parse every shelfwise DAG", parsed, timeout_s=600, every_s=5)
    for dag_id in sorted(expected):
        api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
    sources = [name for name in graph.order if graph[name].is_source]
    time.sleep(20)  # their timetables may already have started them
    for dag_id in sources:
        if not api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=1")["dag_runs"]:
            api.call("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None})
    say(f"unpaused {len(expected)} DAGs; waiting for the sources' first runs")
    wait_for("the sources' first runs to finish", lambda: not active_runs(api), timeout_s=1200, every_s=5)
    seconds = round(time.perf_counter() - started, 1)
    say(f"scheduler settled in {seconds}s")
    return seconds


def send_late_sales(settings: Settings, day: date) -> datetime:
    """LATE_SALES sales of `day` (noon UTC) on the sales topic; returns when they were sent."""
    from kafka import KafkaProducer

    versions = read_partition_versions(settings, "raw/sales")
    assert day.isoformat() in versions, f"no sales for {day} in the history: {sorted(versions)[-3:]}"
    stores = [f"S{n:03d}" for n in range(1, STORES + 1)]
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    sent = datetime.now(UTC)
    for n in range(LATE_SALES):
        store, ts = stores[n % STORES], datetime(day.year, day.month, day.day, 12, n, tzinfo=UTC)
        event = faults.sale(f"late-{uuid.uuid4().hex[:8]}", store, f"SKU{n + 1:05d}", ts, quantity=1)
        producer.send(faults.SALES, key=store.encode(), value=json.dumps(event).encode())
    producer.flush(timeout=30)
    producer.close()
    say(f"sent {LATE_SALES} late sales for {day}; raw_sales triggered")
    return sent


def wait_until_fresh(settings: Settings, graph, api: Api, day: str, sent: datetime) -> float:
    """Seconds from `sent` until raw_sales has ingested `day` again and the plan shows nothing stale."""
    before, runner = read_partition_versions(settings, "raw/sales")[day], Runner(graph, settings)
    deadline, last_print = time.monotonic() + CASCADE_TIMEOUT_S, 0.0
    left = {"raw_sales": [f"{day} not ingested yet"]}
    while time.monotonic() < deadline:
        if read_partition_versions(settings, "raw/sales")[day] != before:
            left = stale(runner)
            if not left:
                seconds = round((datetime.now(UTC) - sent).total_seconds(), 1)
                say(f"every partition fresh after {seconds}s")
                return seconds
        if time.monotonic() - last_print > 30:
            last_print = time.monotonic()
            elapsed = (datetime.now(UTC) - sent).total_seconds()
            counts = {name: len(keys) for name, keys in left.items()}
            say(f"{elapsed:.0f}s: stale {counts}; runs {active_runs(api)}")
        time.sleep(POLL_S)
    lines = "\n".join(f"  {name}: {', '.join(keys[:5])}" for name, keys in left.items())
    raise AssertionError(
        f"not fresh {CASCADE_TIMEOUT_S:.0f}s after the late sales; still stale:\n{lines}\n"
        f"runs still active: {active_runs(api)}; Airflow log: {settings.run_dir / 'airflow'}"
    )


def wait_until_idle(api: Api, timeout_s: float = 600.0) -> None:
    """Let trailing tasks (freshness, rejections) and runs that will only skip finish, for the breakdown."""
    deadline = time.monotonic() + timeout_s
    while active_runs(api) and time.monotonic() < deadline:
        time.sleep(POLL_S)
    say(f"runs still active when the breakdown is read: {active_runs(api)}")


def log_figures(settings: Settings, sent: datetime) -> dict[str, float]:
    """From the materialization log: the last success recorded after `sent`, and how many partitions."""
    since = sent.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    rows = Warehouse(settings).query_df(
        "SELECT asset, count() AS partitions, max(ended_at) AS ended FROM asset_materializations "
        f"WHERE status = 'success' AND started_at >= toDateTime64('{since}', 3, 'UTC') GROUP BY asset"
    )
    assert len(rows), "no partition was rebuilt after the late sales"
    last = max(as_utc(ended) for ended in rows["ended"])
    figures = {"airflow_late_day_s": round((last - sent).total_seconds(), 1),
               "partitions_rebuilt": int(rows["partitions"].sum())}  # fmt: skip
    figures |= {
        f"{asset}_partitions": int(n) for asset, n in zip(rows["asset"], rows["partitions"], strict=True)
    }
    return figures


def as_utc(value) -> datetime:
    """A timestamp from either database (pandas or ISO text, naive meaning UTC) as an aware datetime."""
    moment = value.to_pydatetime() if hasattr(value, "to_pydatetime") else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def airflow_figures(db: Path, sent: datetime, total_s: float) -> dict[str, float]:
    """Where the seconds went, from Airflow's metadata DB: every task of every run queued after `sent`."""
    tis, pokes, runs = read_task_instances(db, sent)
    figures: dict[str, float] = {"dag_runs": len(runs)}
    figures["timetable_runs"] = sum(run_type == "scheduled" for _, run_type in runs)
    figures |= {f"{dag}_runs": n for dag, n in sorted(Counter(dag for dag, _ in runs).items())}
    figures |= per_dag_seconds(tis)
    kinds: dict[str, float] = defaultdict(float)
    for ti in tis:
        kind = ti["task_id"] if ti["task_id"] in KINDS else "other_tasks"
        kinds[kind] += seconds_of(ti)
    figures |= {f"{kind}_s": round(kinds[kind], 1) for kind in (*KINDS, "other_tasks")}
    figures["check_pokes"] = sum(len(p) for p in pokes.values()) + sum(ti["task_id"] == "check" for ti in tis)
    waits = [(ti["start"] - ti["scheduled"]).total_seconds() for ti in tis if ti["start"] and ti["scheduled"]]
    figures["queue_wait_s"] = round(sum(waits), 1)
    end = sent + timedelta(seconds=total_s)
    figures["busy_s"] = round(covered(busy_intervals(tis, pokes), sent, end), 1)
    figures["idle_s"] = round(total_s - figures["busy_s"], 1)
    return figures


def seconds_of(ti: dict) -> float:
    """A task's seconds; a check's from its run's start, since it is the first task and, rescheduled,
    Airflow 3 keeps only its last poke's start (its waiting counts)."""
    if not ti["end"]:
        return 0.0
    start = ti["run_start"] if ti["task_id"] == "check" else ti["start"]
    return (ti["end"] - start).total_seconds() if start else 0.0


def read_task_instances(db: Path, sent: datetime):
    """(task instances, rescheduled sensor pokes by task instance id, (dag_id, run_type) per run) of the
    runs queued after `sent`; times as aware UTC datetimes."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        con.row_factory = sqlite3.Row
        runs = {(r["dag_id"], r["run_id"]): r for r in con.execute("SELECT * FROM dag_run")
                if r["queued_at"] and as_utc(r["queued_at"]) >= sent}  # fmt: skip
        tis = [
            {"id": r["id"], "dag_id": r["dag_id"], "task_id": r["task_id"], "state": r["state"],
             "start": _at(r["start_date"]), "end": _at(r["end_date"]), "scheduled": _at(r["scheduled_dttm"]),
             "run_start": _at(runs[r["dag_id"], r["run_id"]]["start_date"])}
            for r in con.execute("SELECT * FROM task_instance") if (r["dag_id"], r["run_id"]) in runs
        ]  # fmt: skip
        pokes = defaultdict(list)
        for r in con.execute("SELECT ti_id, end_date FROM task_reschedule ORDER BY id"):
            pokes[r["ti_id"]].append(_at(r["end_date"]))
    ids = {ti["id"] for ti in tis}
    kinds = [(r["dag_id"], r["run_type"]) for r in runs.values()]
    return tis, {k: v for k, v in pokes.items() if k in ids}, kinds


def _at(value) -> datetime | None:
    return None if value is None else as_utc(value)


def per_dag_seconds(tis: list[dict]) -> dict[str, float]:
    """Per DAG that published: its first run's start to its last publish end, and its materialize seconds."""
    first, published, built = {}, {}, defaultdict(float)
    for ti in tis:
        dag = ti["dag_id"]
        if ti["run_start"]:
            first[dag] = min(first.get(dag, ti["run_start"]), ti["run_start"])
        if ti["task_id"] == "publish" and ti["state"] == "success":
            published[dag] = max(published.get(dag, ti["end"]), ti["end"])
        if ti["task_id"] == "materialize":
            built[dag] += seconds_of(ti)
    figures = {}
    for dag, end in sorted(published.items()):
        figures[f"{dag}_s"] = round((end - first[dag]).total_seconds(), 1)
        figures[f"{dag}_materialize_s"] = round(built[dag], 1)
    return figures


def busy_intervals(tis: list[dict], pokes: dict) -> list[tuple[datetime, datetime]]:
    """When a task was running: every task's span, but a sensor only while it poked. Airflow 3 records a
    rescheduled poke's end only, so each is taken to last as long as the sensor's final poke."""
    spans = []
    for ti in tis:
        if not (ti["start"] and ti["end"]):
            continue
        spans.append((ti["start"], ti["end"]))
        poke = ti["end"] - ti["start"]
        spans.extend((end - poke, end) for end in pokes.get(ti["id"], []))
    return spans


def covered(spans: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> float:
    """Seconds of [start, end] inside at least one span."""
    total, reach = 0.0, start
    for a, b in sorted((max(a, start), min(b, end)) for a, b in spans):
        if b <= reach:
            continue
        total += (b - max(a, reach)).total_seconds()
        reach = b
    return total
