"""What an ingest run knows before it starts: committed offsets, the broker's latest, and the valid rules.

Checkpoints live in the lake (`raw/_checkpoints/<topic>.json`), so a restarted or re-deployed job resumes from
the offsets whose data it committed, whatever happened to its process.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from infra.lake import lake_fs, lake_path
from infra.settings import Settings
from spark.jobs.pos_events import Rules

CHECKPOINTS = "raw/_checkpoints"
DEAD_LETTERS = ".dead-letters"  # raw/_checkpoints/<topic>.dead-letters.json: letters sent so far
ACCEPTED = ".accepted"  # raw/_checkpoints/<topic>.accepted.json: offsets an operator let through
_log = logging.getLogger(__name__)

Offsets = dict[int, int]  # partition -> next offset to read


def read_checkpoint(settings: Settings, topic: str) -> Offsets:
    """The offsets the last committed run stopped at (empty: never ingested)."""
    fs, path = lake_fs(settings), lake_path(settings, f"{CHECKPOINTS}/{topic}.json")
    if not fs.exists(path):
        return {}
    with fs.open(path, "r") as handle:
        return {int(p): int(o) for p, o in json.load(handle)["offsets"].items()}


def write_checkpoint(settings: Settings, topic: str, offsets: Offsets) -> None:
    """Record the offsets whose events are committed to the lake (called last in a run)."""
    fs, folder = lake_fs(settings), lake_path(settings, CHECKPOINTS)
    fs.makedirs(folder, exist_ok=True)
    body = {"topic": topic, "offsets": {str(p): o for p, o in sorted(offsets.items())},
            "committed_at": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
    with fs.open(f"{folder}/{topic}.json.tmp", "w") as handle:
        json.dump(body, handle)
    fs.mv(f"{folder}/{topic}.json.tmp", f"{folder}/{topic}.json")


def latest_offsets(settings: Settings, topic: str) -> Offsets:
    """The broker's end offset per partition of `topic` (empty when the topic does not exist)."""
    from kafka import KafkaConsumer, TopicPartition  # lazy: kafka ~60 ms; Spark executors import this module

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, client_id="shelfwise-ingest")
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in sorted(partitions)])
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        consumer.close()


def spark_offsets(topic: str, offsets: Offsets) -> str:
    """Offsets as the Spark Kafka source wants them (-2 means the earliest still kept)."""
    return json.dumps({topic: {str(p): offset for p, offset in sorted(offsets.items())}})


def batch_id(start: Offsets, end: Offsets) -> str:
    """A name for the offset range, identical when the same range is read again."""
    return "_".join(f"p{p}-{start.get(p, 0)}-{end[p]}" for p in sorted(end))


def parse_batch_id(name: str) -> dict[int, tuple[int, int]]:
    """{partition: (start, end)} of a batch_id; empty when `name` is not one."""
    found = [re.fullmatch(r"p(\d+)-(\d+)-(\d+)", part) for part in name.split("_")]
    if not all(found):
        return {}
    return {int(m[1]): (int(m[2]), int(m[3])) for m in found}


def dead_letters_sent(settings: Settings, topic: str) -> Offsets:
    """Per partition, the offset below which every bad event of `topic` already has its dead letter."""
    return read_checkpoint(settings, f"{topic}{DEAD_LETTERS}")


def record_dead_letters_sent(settings: Settings, topic: str, through: Offsets) -> None:
    sent = dead_letters_sent(settings, topic)
    marks = {p: max(offset, sent.get(p, 0)) for p, offset in through.items()}
    write_checkpoint(settings, f"{topic}{DEAD_LETTERS}", marks)


class BadReference(ValueError):
    """A reference dimension the ingest cannot take its ids from; says which folder and why."""


RULE_DIMENSIONS = {"stores": "store_id", "products": "sku"}  # dimension -> the id events must name


def load_rules(settings: Settings, folders: dict[str, str], now: datetime | None = None) -> Rules:
    """Known stores and SKUs from the reference dimensions (`folders`: their lake folders, as the ingested
    asset declares them), and the accepted time window."""
    fs = lake_fs(settings)
    known = {}
    for name, column in RULE_DIMENSIONS.items():
        folder = lake_path(settings, folders[name])
        if not fs.exists(folder):
            raise FileNotFoundError(
                f"{folder} is missing: run `shelfwise simulate` (it writes the dimensions)"
            )
        known[name] = known_ids(fs, folder, column)
    return Rules(known["stores"], known["products"], now or datetime.now(UTC), settings.ingest_retention_days)


def known_ids(fs, folder: str, column: str) -> frozenset[str]:
    """The ids in `column` of the dimension at `folder`. A row without a usable id (null, blank) is left out
    and logged: events naming it are quarantined as unknown, the other rows still count. A folder whose
    files cannot be read, or whose ids are not text, is a BadReference."""
    try:
        ids = pq.read_table(folder, filesystem=fs, columns=[column]).column(0)
    except (pa.ArrowException, OSError, KeyError, ValueError) as error:
        raise BadReference(f"{folder}: cannot read {column!r}: {type(error).__name__}: {error}") from None
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        raise BadReference(f"{folder}: {column!r} holds {ids.type}, not text")
    usable = [value for value in ids.to_pylist() if value is not None and value.strip()]
    if len(usable) < len(ids):
        _log.warning("%s: %d rows without a usable %s left out", folder, len(ids) - len(usable), column)
    return frozenset(usable)


def accept_through(settings: Settings, topic: str, through: Offsets) -> None:
    """Let the next run commit `topic` up to `through`, whatever its quarantine rate (`ingest accept`)."""
    write_checkpoint(settings, f"{topic}{ACCEPTED}", through)


def accepted_through(settings: Settings, topic: str, start: Offsets) -> Offsets:
    """The offsets an operator accepted beyond `start` (empty when nothing pending is accepted)."""
    through = read_checkpoint(settings, f"{topic}{ACCEPTED}")
    return through if any(offset > start.get(p, 0) for p, offset in through.items()) else {}
