"""Alerts: the rows of a just-validated partition that someone must act on, sent to a Kafka topic.

Only partitions that passed their gate are sent (the runner and the Airflow publish step call this after the
gate), and only recent ones (`Alerts.max_age_days`): a backfill rebuilds history without paging anyone. Each
message is keyed by store, so one store's alerts stay in order, and carries the row's stable id: rebuilding a
partition sends its alerts again with the same ids, which consumers use to drop repeats.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import NoBrokersAvailable

from infra.lake import read_published
from infra.settings import Settings

SEND_TIMEOUT_S = 30


class AlertsUndelivered(RuntimeError):
    """The broker could not be reached or did not acknowledge the alerts."""


def alert_rows(frame: pd.DataFrame, alerts) -> pd.DataFrame:
    """The rows of `frame` the asset's Alerts declaration selects, in a stable order."""
    if frame.empty:
        return frame
    chosen = frame[frame[alerts.column].isin(alerts.values)]
    return chosen.sort_values([alerts.key, alerts.id_column]).reset_index(drop=True)


def send_alerts(ctx) -> int:
    """Send the alert rows of ctx.partitions of the asset to its topic; returns how many were sent."""
    alerts = ctx.asset.alerts
    if alerts is None or not ctx.settings.alerts_to_kafka:
        return 0
    days = recent(ctx.partitions, alerts.max_age_days)
    rows = alert_rows(read_published(ctx.settings, ctx.asset.storage.path, days), alerts)
    if rows.empty:
        return 0
    producer = _producer(ctx.settings, alerts.topic)
    try:
        for record in rows.to_dict("records"):
            producer.send(
                alerts.topic,
                key=str(record[alerts.key]).encode(),
                value=json.dumps(_message(ctx.asset.name, record), default=str).encode(),
            )
        producer.flush(timeout=SEND_TIMEOUT_S)
    except Exception as exc:  # flush timing out or a send refused: say which topic and broker
        raise AlertsUndelivered(f"{alerts.topic} on {ctx.settings.kafka_bootstrap}: {exc}") from exc
    finally:
        producer.close(timeout=SEND_TIMEOUT_S)
    return len(rows)


def recent(days, max_age_days: int | None, today: date | None = None) -> list[str]:
    """The partition days young enough to alert on (all of them when max_age_days is None)."""
    if max_age_days is None:
        return list(days)
    oldest = (today or datetime.now(UTC).date()) - timedelta(days=max_age_days)
    return [d for d in days if date.fromisoformat(d) >= oldest]


def _message(asset: str, record: dict) -> dict:
    """One alert: the row as JSON (dates as YYYY-MM-DD, NaN as null) and where it came from."""
    row = {
        k: (v.date().isoformat() if isinstance(v, pd.Timestamp) else None if _is_nan(v) else v)
        for k, v in record.items()
    }
    return {"source_asset": asset, **row}


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _producer(settings: Settings, topic: str):
    try:
        return KafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            client_id="shelfwise-alerts",
            acks="all",
            retries=5,
            max_in_flight_requests_per_connection=1,
        )
    except NoBrokersAvailable as exc:
        raise AlertsUndelivered(
            f"no Kafka broker at {settings.kafka_bootstrap} for the {topic} topic: start it with "
            "`shelfwise services up`, or set SHELFWISE_ALERTS_TO_KAFKA=false to keep alerts in the lake "
            "and warehouse only"
        ) from exc


def read_alerts(settings: Settings, topic: str, timeout_s: float = 20.0) -> list[tuple[str, dict]]:
    """Every (key, alert) on the topic from the beginning (for tests, checks and the demo)."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=int(timeout_s * 1000),
    )
    try:
        return [(m.key.decode(), json.loads(m.value)) for m in consumer]
    finally:
        consumer.close()


def messages_on(settings: Settings, topic: str) -> int:
    """How many messages the topic holds (sum of its partitions' end offsets)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(partitions).values()) if partitions else 0
    finally:
        consumer.close()
