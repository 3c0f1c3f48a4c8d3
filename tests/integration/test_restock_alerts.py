"""Restock alerts: urgent reorder rows of a validated day reach a real broker's topic, keyed by store."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from assets.definitions import load_graph
from infra.alerts import AlertsUndelivered, read_alerts, send_alerts
from spark.context import JobContext
from tests.conftest import free_ports

from . import chain
from .test_warehouse_load import DAYS, prediction_frame, snapshot_frame, write_partitions

GRAPH = load_graph()
URGENCY = ["critical", "high", "medium", "low"]


def predictions(settings):
    """Two stores x three SKUs x three days of reorder rows, urgency cycling through every class."""
    dims = chain.dimensions(2, 3)
    frame = prediction_frame(snapshot_frame(dims, DAYS))
    frame["urgency"] = [URGENCY[i % 4] for i in range(len(frame))]
    write_partitions(settings, "marts/reorder_predictions", frame)
    return frame


def context(settings, days=tuple(DAYS)):
    """reorder_predictions as declared, but alerting to a topic of its own (the broker is shared)."""
    spec = GRAPH["reorder_predictions"]
    topic = f"restock-alerts-{uuid.uuid4().hex[:8]}"
    spec = replace(spec, alerts=replace(spec.alerts, topic=topic, max_age_days=None))  # DAYS are long past
    return JobContext.in_place(GRAPH, spec, days, settings, "alerts-test")


@pytest.mark.services
def test_urgent_rows_are_sent_keyed_by_store_and_a_resend_repeats_the_same_ids(settings, services):
    broker = {"kafka_bootstrap": services.kafka_bootstrap, "alerts_to_kafka": True}
    settings = settings.model_copy(update=broker)
    frame = predictions(settings)
    urgent = frame[frame.urgency.isin(["critical", "high"])]
    ctx = context(settings)

    assert send_alerts(ctx) == len(urgent) > 0
    received = read_alerts(settings, ctx.asset.alerts.topic, timeout_s=10)
    assert sorted(a["prediction_id"] for _, a in received) == sorted(urgent.prediction_id)
    assert all(key == a["store_id"] and a["urgency"] in ("critical", "high") for key, a in received)
    first = received[0][1]
    assert first["source_asset"] == "reorder_predictions" and first["date"] in DAYS

    # Rebuilding a day sends its alerts again with the same ids: consumers drop what they have seen.
    one_day = replace(ctx, partitions=(DAYS[0],))
    assert send_alerts(one_day) == (urgent.date == DAYS[0]).sum()
    again = read_alerts(settings, ctx.asset.alerts.topic, timeout_s=10)
    assert {a["prediction_id"] for _, a in again} == set(urgent.prediction_id)


def test_only_recent_days_alert_so_a_backfill_pages_nobody():
    from datetime import date

    from infra.alerts import recent

    days = ["2026-01-30", "2026-02-01", "2026-02-03", "2026-02-04"]
    assert recent(days, 3, today=date(2026, 2, 4)) == ["2026-02-01", "2026-02-03", "2026-02-04"]
    assert recent(days, None) == days
    assert GRAPH["reorder_predictions"].alerts.max_age_days == 3


def test_alerts_off_send_nothing_and_an_absent_broker_is_a_clear_error(settings):
    predictions(settings)
    assert send_alerts(context(settings)) == 0  # the test settings keep alerts in the lake only
    (port,) = free_ports(1)
    nobody = settings.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{port}", "alerts_to_kafka": True})
    with pytest.raises(AlertsUndelivered, match="no Kafka broker at 127.0.0.1:.*shelfwise services up"):
        send_alerts(context(nobody))
