"""Simulator produce rate, and Kafka -> committed lake Parquet ingest rate next to Kafka's own consumer tool.

Figures: simulator_events_per_s (goal >= 50,000 on 2 cores), ingest_events_per_s,
ingest_ratio_to_kafka_consumer_perf (goal >= 0.3; the denominator is the best of three `ConsumerPerformance`
runs on the same broker in the same run: one run swings by 2x with the consumer group's join),
ingest_peak_rss_mb (this process + the Spark JVM and its Python workers).
The first ingest of a session pays for JIT compilation and Python worker start-up: ingest_warm_* is the median
of three more ingests of the same events, each into an empty lake, by the warm session (as a long-lived ingest
service runs).
"""

from __future__ import annotations

import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from statistics import median

import pytest

from assets.definitions import load_graph
from infra.kafka_local import ensure_topics
from infra.simulator.chain import write_reference
from infra.simulator.cli import run_scenario
from spark.context import JobContext
from spark.jobs.ingest import ingest_sales
from spark.jobs.ingest_state import latest_offsets, write_checkpoint
from spark.schemas import TOPICS
from tests.bench.memory import PeakRss

pytestmark = [pytest.mark.bench, pytest.mark.services, pytest.mark.spark]
DAYS = 90
WARM_RUNS = 3
CONSUMER_PERF_RUNS = 3


def test_ingest_throughput(services, results_writer):
    settings = services.model_copy(update={"lake_url": f"s3://shelfwise-test/bench-{uuid.uuid4().hex[:6]}"})
    ensure_topics(settings)
    primed = {topic: latest_offsets(settings, topic) for topic in TOPICS}
    for topic in TOPICS:
        write_checkpoint(settings, topic, primed[topic])
    start = datetime.now(UTC).date() - timedelta(days=DAYS + 1)
    simulated = run_scenario(settings, stores=10, skus=200, days=DAYS, seed=3, start=start)

    graph = load_graph()
    ctx = JobContext.in_place(graph, "raw_sales", (), settings, "bench")
    assert ctx.spark is not None  # session start-up is not ingest work
    with PeakRss() as rss:
        began = time.perf_counter()
        result = ingest_sales(ctx)
        seconds = time.perf_counter() - began
    ingest_rate = result.details["read"] / seconds
    warm_rate = median(
        _warm_ingest_rate(graph, settings, simulated, primed["sales-transactions"]) for _ in range(WARM_RUNS)
    )
    consumer_rate = max(_consumer_perf(settings, "sales-transactions") for _ in range(CONSUMER_PERF_RUNS))
    figures = {
        "simulator_events_per_s": simulated.events_per_s,
        "ingest_events_per_s": ingest_rate,
        "kafka_consumer_perf_events_per_s": consumer_rate,
        "ingest_ratio_to_kafka_consumer_perf": ingest_rate / consumer_rate,
        "ingest_peak_rss_mb": rss.peak / 2**20,
        "ingest_events": result.details["read"],
        "ingest_seconds": seconds,
        "ingest_warm_events_per_s": warm_rate,
        "ingest_warm_ratio_to_kafka_consumer_perf": warm_rate / consumer_rate,
    }
    results_writer("ingest", figures)
    print(figures)
    assert result.row_count == simulated.events_by_topic["sales-transactions"]


def _warm_ingest_rate(graph, settings, simulated, primed: dict[int, int]) -> float:
    """The same events ingested again, into an empty lake, by the now warm session (JIT, Python workers)."""
    warm = settings.model_copy(update={"lake_url": f"s3://shelfwise-test/bench-{uuid.uuid4().hex[:6]}"})
    write_reference(warm, simulated.chain)
    write_checkpoint(warm, "sales-transactions", primed)
    began = time.perf_counter()
    result = ingest_sales(JobContext.in_place(graph, "raw_sales", (), warm, "bench-warm"))
    seconds = time.perf_counter() - began
    assert result.row_count == simulated.events_by_topic["sales-transactions"]
    return result.details["read"] / seconds


def _consumer_perf(settings, topic: str) -> float:
    """Messages per second of Kafka's own ConsumerPerformance reading the whole topic from the start."""
    total = sum(latest_offsets(settings, topic).values())
    libs = settings.cache_dir / "kafka" / "libs"
    command = [
        "java", "-Xmx512m", "-cp", f"{libs}/*", "org.apache.kafka.tools.ConsumerPerformance",
        "--bootstrap-server", settings.kafka_bootstrap, "--topic", topic, "--messages", str(total),
        "--group", f"perf-{uuid.uuid4().hex[:6]}", "--timeout", "60000", "--hide-header",
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True).stdout
    fields = [line for line in out.splitlines() if line.count(",") >= 5][-1].split(",")
    return float(fields[5])  # nMsg.sec
