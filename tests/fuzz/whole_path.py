"""The ingest path of one batch without Spark or Kafka, with every promise of docs/ingestion.md checked.

Kafka values of one topic go through `event_batches.classify_batches` exactly as the ingest's mapInArrow runs
it (Arrow columns first, `classify` for the rest); the accepted rows are written by the ingest's own day-file
writer and read back from Parquet; the quarantined records are written as the QUARANTINE table (Parquet) and
as dead letters (JSON), and read back. `check_whole_path` raises AssertionError when a promise breaks; any
other exception is a crash. The property tests (tests/unit/spark/test_ingest_fuzz.py), the atheris target
(tests/fuzz/fuzz_ingest.py) and the replay of tests/data/fuzz/ all run it.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from infra.lake import lake_path
from infra.settings import Settings
from spark.jobs import event_batches
from spark.jobs.ingest import DAY_FILE, _write_day_files
from spark.jobs.pos_events import DETAIL, PAYLOAD, REASON, REASONS, Rules, classify
from spark.schemas import QUARANTINE, RAW_SCHEMAS, TOPICS, arrow_schema

DAYS_FOLDER = "raw/fuzz"
CORPUS = Path(__file__).resolve().parents[1] / "data" / "fuzz"


def kafka_batch(values: list[bytes | None]) -> pa.RecordBatch:
    """Kafka records as Spark's Kafka source hands them to mapInArrow: partition, offset, value."""
    return pa.RecordBatch.from_pydict(
        {
            "partition": pa.array([0] * len(values), pa.int32()),
            "offset": pa.array(range(len(values)), pa.int64()),
            "value": pa.array(values, pa.binary()),
        }
    )


def check_whole_path(topic: str, values: list[bytes | None], rules: Rules, lake: Settings) -> pa.Table:
    """Classify, write and read back one batch of `topic`; returns the classified table."""
    out = pa.Table.from_batches(list(event_batches.classify_batches(topic, rules, [kafka_batch(values)])))
    assert out.schema == arrow_schema(event_batches.output_columns(topic))  # what Spark's schema expects
    assert out.column("kafka_offset").to_pylist() == list(range(len(values))), "not once each, in order"
    _check_verdicts(topic, values, rules, out)
    accepted, quarantined = out.filter(pc.is_null(out[REASON])), out.filter(pc.is_valid(out[REASON]))
    assert accepted.num_rows + quarantined.num_rows == len(values)
    _check_days_read_back(topic, accepted, lake)
    _check_quarantine_read_back(topic, quarantined)
    return out


def _check_verdicts(topic: str, values: list, rules: Rules, out: pa.Table) -> None:
    """Each record: a complete row equal to what `classify` makes of it, or no row and classify's reason."""
    columns = [name for name, _ in RAW_SCHEMAS[TOPICS[topic]]]
    for value, got in zip(values, out.to_pylist(), strict=True):
        verdict = classify(topic, value, rules)
        row = {name: got[name] for name in columns}
        assert got[REASON] == verdict.reason, (value, got[REASON], got[DETAIL], verdict)
        if verdict.reason is None:
            assert row == _as_read(verdict.row), (value, row, verdict.row)
        else:
            assert set(row.values()) == {None} and got[REASON] in REASONS and got[DETAIL]
            assert got[PAYLOAD] == _text(value)


def _check_days_read_back(topic: str, accepted: pa.Table, lake: Settings) -> None:
    """The accepted rows through ingest._write_day_files (as _write_days sorts them), read back equal."""
    if accepted.num_rows == 0:
        return
    columns = [name for name, _ in RAW_SCHEMAS[TOPICS[topic]]]
    rows = accepted.select([*columns, "kafka_partition", "kafka_offset"])
    rows = rows.append_column("date", pc.cast(rows["ts"], pa.date32()))
    rows = rows.sort_by([("date", "ascending"), ("ts", "ascending"), ("event_id", "ascending")])
    written = pa.Table.from_batches(list(_write_day_files(lake, DAYS_FOLDER, rows.to_batches())))
    folder = lake_path(lake, DAYS_FOLDER)
    back = [pq.read_table(f"{folder}/date={day}/{DAY_FILE}") for day in written["date"].to_pylist()]
    assert written["rows"].to_pylist() == [part.num_rows for part in back]
    assert pa.concat_tables(back).to_pylist() == rows.drop_columns(["date"]).to_pylist()
    for day, part in zip(written["date"].to_pylist(), back, strict=True):
        assert {ts.date().isoformat() for ts in part["ts"].to_pylist()} == {day}


def _check_quarantine_read_back(topic: str, quarantined: pa.Table) -> None:
    """The quarantined records as the QUARANTINE table in Parquet and as dead-letter JSON, read back equal."""
    if quarantined.num_rows == 0:
        return
    now = datetime.now(UTC).replace(microsecond=0)
    table = pa.table(
        {
            "topic": [topic] * quarantined.num_rows,
            "kafka_partition": quarantined["kafka_partition"],
            "kafka_offset": quarantined["kafka_offset"],
            "payload": quarantined[PAYLOAD],
            "reason": quarantined[REASON],
            "detail": quarantined[DETAIL],
            "quarantined_at": [now] * quarantined.num_rows,
        },
        schema=arrow_schema(QUARANTINE),
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    assert pq.read_table(pa.BufferReader(sink.getvalue())).equals(table)
    for letter in table.drop_columns(["quarantined_at"]).to_pylist():
        assert json.loads(json.dumps(letter, ensure_ascii=False).encode("utf-8")) == letter


def _as_read(row: dict) -> dict:
    """classify's row as Parquet gives it back (instants in UTC)."""
    return {k: v.replace(tzinfo=UTC) if isinstance(v, datetime) else v for k, v in row.items()}


def _text(value: bytes | None) -> str | None:
    """The payload kept in the quarantine: the value's text, a byte that is not UTF-8 as `\\xNN`."""
    return None if value is None else value.decode("utf-8", "backslashreplace")


def save_case(name: str, topic: str, values: list[bytes | None], folder: Path = CORPUS) -> Path:
    """Keep a batch that broke a promise as a regression case (values base64: they may be any bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    encoded = [None if v is None else base64.b64encode(v).decode() for v in values]
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"topic": topic, "values_base64": encoded}, indent=1) + "\n")
    return path


def load_case(path: Path) -> tuple[str, list[bytes | None]]:
    case = json.loads(path.read_text())
    return case["topic"], [None if v is None else base64.b64decode(v) for v in case["values_base64"]]
