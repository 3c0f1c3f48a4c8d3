"""Kafka records classified a batch at a time: the ingest job's mapInArrow.

Nearly every record is a well-formed event. Arrow's JSON reader types a run of them at C speed and the rules
of `pos_events` are checked on whole columns. That path only ever *accepts*: a record it cannot vouch for (not
one bare JSON object, in a run Arrow refuses, outside a rule, a time stamp in another spelling) goes to
`pos_events.classify`, which decides and says why. tests/unit/spark/test_event_batches.py checks that both
reach the same verdict at every edge of every rule, and on generated batches.

Classification is total: an exception in the column path leaves its batch to `classify`, and a row `classify`
accepts whose values still do not convert to the Arrow types is quarantined as `unrepresentable` on its own.
Every record comes out once, as a writable row or with a reason (tests/unit/spark/test_ingest_fuzz.py and
tests/fuzz/ check it through the Parquet write).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from spark.contracts import LIMITS, Limit
from spark.jobs.pos_events import (
    CLOCK_SKEW,
    DETAIL,
    KINDS,
    MAX_PAYLOAD_BYTES,
    PAYLOAD,
    REASON,
    UNREPRESENTABLE,
    Rules,
    Verdict,
    classify,
)
from spark.schemas import RAW_SCHEMAS, TOPICS, arrow_schema, arrow_type

SMALLEST_RUN = 64  # a run Arrow refuses is halved down to this many records, which are left to `classify`
# One bare object on one line (runs are read as newline-delimited JSON), and not two objects side by side.
ONE_OBJECT = r"^\{[^\n\r]*\}$"
TWO_OBJECTS = r"\}\s*\{"
NOT_JSON = r"NaN|Infinity"  # Arrow reads these constants, even in fields it ignores; pos_events refuses them
# The spelling of an instant the columns take (tills and the simulator send it); any other goes to classify.
UTC_INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|\+00:00)$"
NOT_BLANK = "[0-9A-Za-z]"  # holds an ASCII letter or digit: not blank by any definition of whitespace


def output_columns(topic: str) -> list[tuple[str, str]]:
    """Columns `classify_batches` returns: the RAW_* columns, where the event came from, and the verdict."""
    source = [("kafka_partition", "int"), ("kafka_offset", "bigint"), (PAYLOAD, "string")]
    return [*RAW_SCHEMAS[TOPICS[topic]], *source, (REASON, "string"), (DETAIL, "string")]


def classify_batches(topic: str, rules: Rules, batches):
    """Arrow batches of Kafka records (partition, offset, value, the broker's `timestamp` if any) in;
    classified batches out, in that order. An event's time is judged against its record's timestamp (when
    the broker appended it), so a rerun judges it as the first run did; without one, against `rules.now`."""
    schema = arrow_schema(output_columns(topic))
    width = len(RAW_SCHEMAS[TOPICS[topic]])
    for batch in batches:
        values, appended = batch.column("value"), _appended(batch, rules)
        accepted, fast = _accept_or_none(topic, rules, values, appended)
        rest = np.setdiff1d(np.arange(len(values)), accepted, assume_unique=True)
        slow = _classify_each(topic, rules, values.take(rest).to_pylist(), appended.take(rest).to_pylist(),
                              schema)
        fast += [pa.nulls(len(accepted), pa.string())] * 2  # no reason, no detail
        verdict = [pa.concat_arrays([a, b]) for a, b in zip(fast, slow, strict=True)]
        back = pa.array(np.argsort(np.concatenate([accepted, rest]), kind="stable"))  # to Kafka order
        verdict = [column.take(back) for column in verdict]
        source = [batch.column("partition").cast(pa.int32()), batch.column("offset").cast(pa.int64()),
                  _texts(values)]  # fmt: skip
        yield pa.RecordBatch.from_arrays([*verdict[:width], *source, *verdict[width:]], schema=schema)


def _appended(batch, rules: Rules):
    """Per record, when the broker appended it (rules.now where the batch or the record has no timestamp)."""
    now = _now(rules)
    if "timestamp" not in batch.schema.names:
        return pc.fill_null(pa.nulls(batch.num_rows, now.type), now)
    return pc.fill_null(batch.column("timestamp").cast(now.type), now)


def _accept_or_none(topic: str, rules: Rules, values, appended):
    """accept_columns, or nothing accepted when it fails: a gap in the column path only costs speed."""
    try:
        return accept_columns(topic, rules, values, appended)
    except Exception:  # noqa: BLE001 - classify decides every record of the batch instead, and says why
        return _none_accepted(TOPICS[topic])


def _none_accepted(asset: str):
    return np.array([], np.int64), [pa.array([], arrow_type(kind)) for _, kind in RAW_SCHEMAS[asset]]


def accept_columns(topic: str, rules: Rules, values, appended=None):
    """(indices, typed RAW_* columns) of the records in `values` that the column path accepts, in order;
    `appended`: when each record reached the broker (default: rules.now for all)."""
    asset = TOPICS[topic]
    try:
        texts = values.cast(pa.string())  # Arrow checks the bytes are UTF-8
    except pa.ArrowInvalid:
        texts = pa.nulls(len(values), pa.string())  # rare: leave the whole batch to classify
    candidates = np.flatnonzero(_one_object(values, texts))
    lines = pc.binary_join_element_wise(texts.take(candidates), "\n", "")
    runs = _read_runs(lines, asset, 0)
    if not runs:
        return _none_accepted(asset)
    table = pa.concat_tables([table for _, table in runs])
    read = candidates[np.concatenate([np.arange(first, first + t.num_rows) for first, t in runs])]
    now = _now(rules) if appended is None else appended.take(read)
    ok = pc.fill_null(_rules_hold(asset, rules, table, now), False)
    columns = [column.combine_chunks() for column in table.filter(ok).columns]
    return read[ok.to_numpy(zero_copy_only=False)], columns


def _one_object(values, texts):
    """Mask of the values worth reading as columns: UTF-8, not oversized, one bare object on one line."""
    small = pc.less_equal(pc.binary_length(values), MAX_PAYLOAD_BYTES)
    shaped = pc.and_(
        pc.match_substring_regex(texts, ONE_OBJECT),
        pc.invert(pc.match_substring_regex(texts, f"{TWO_OBJECTS}|{NOT_JSON}")),
    )
    mask = pc.and_(small, shaped)
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def _read_runs(lines, asset: str, first: int) -> list:
    """[(first index, typed table)] for the runs of `lines` Arrow reads whole, halving the ones it refuses."""
    table = _read(lines, asset)
    if table is not None and table.num_rows == len(lines):
        return [(first, table)]
    if len(lines) <= SMALLEST_RUN:
        return []
    half = len(lines) // 2
    return _read_runs(lines.slice(0, half), asset, first) + _read_runs(lines.slice(half), asset, first + half)


def _read(lines, asset: str):
    """`lines` (each a JSON text and a newline) as the RAW_* columns; None when Arrow refuses any of them."""
    if len(lines) == 0:
        return None
    _, offsets, data = lines.buffers()  # a slice shares its parent's buffers: its texts are one byte range
    start, end = np.frombuffer(offsets, np.int32)[[lines.offset, lines.offset + len(lines)]]
    text = pa.BufferReader(data.slice(start, end - start))
    columns = [(name, "string" if kind == "timestamp" else kind) for name, kind in RAW_SCHEMAS[asset]]
    # "error": an unknown field (and so a repeated one, which readers resolve differently) goes to classify
    options = pj.ParseOptions(explicit_schema=arrow_schema(columns), unexpected_field_behavior="error")
    try:
        table = pj.read_json(text, read_options=pj.ReadOptions(use_threads=False), parse_options=options)
        for name in [name for name, kind in RAW_SCHEMAS[asset] if kind == "timestamp"]:
            texts, unread = table.column(name), pa.scalar(None, pa.string())
            instant = pc.if_else(pc.match_substring_regex(texts, UTC_INSTANT), texts, unread)
            where = table.schema.get_field_index(name)
            table = table.set_column(where, name, instant.cast(arrow_type("timestamp")))
        for name in [name for name, kind in columns if kind == "double"]:  # as classify: -0.0 stored as 0.0
            table = table.set_column(table.schema.get_field_index(name), name, pc.add(table[name], 0.0))
        return table
    except (pa.ArrowException, ValueError):  # a mistyped field, bad JSON, an impossible date, bad UTF-8 ...
        return None


def _rules_hold(asset: str, rules: Rules, table, now):
    """Per row: every rule of pos_events._parse holds (null where a value is missing); `now`: when each row
    was appended (or one instant for all)."""
    checks = [_typed_ok(table.column(name), kind) for name, kind in RAW_SCHEMAS[asset]]
    if asset in KINDS:
        checks.append(pc.is_in(table.column("kind"), value_set=_strings(KINDS[asset])))
    checks += [_within_limits(asset, table, column) for column in dict.fromkeys(lim.column for lim in
                                                                               LIMITS.get(asset, ()))]
    if "discount" in table.column_names:
        line_value = pc.multiply(table.column("unit_price"), table.column("quantity").cast("float64"))
        checks.append(pc.less_equal(table.column("discount"), pc.add(line_value, 1e-9)))
    ts, retention = table.column("ts"), timedelta(days=rules.retention_days)
    checks += [pc.less_equal(ts, pc.add(now, _duration(CLOCK_SKEW))),
               pc.greater_equal(ts, pc.subtract(now, _duration(retention)))]  # fmt: skip
    checks += [pc.is_in(table.column("store_id"), value_set=_strings(rules.stores)),
               pc.is_in(table.column("sku"), value_set=_strings(rules.skus))]  # fmt: skip
    held = checks[0]
    for check in checks[1:]:
        held = pc.and_(held, check)
    return held


def _typed_ok(column, kind: str):
    if kind == "string":
        return pc.match_substring_regex(column, NOT_BLANK)
    if kind == "double":  # never NaN or infinite here: NOT_JSON kept those records out
        return pc.less(pc.abs(column), 1e12)
    if kind == "timestamp":  # an instant Python's datetime holds (classify parses with it; readers too)
        return pc.and_(
            pc.greater_equal(column, _instant(datetime.min)), pc.less_equal(column, _instant(datetime.max))
        )
    return pc.is_valid(column)


def _within_limits(asset: str, table, column: str):
    """Per row: `column` within its limit in spark/contracts.py (per kind where the limit is)."""
    values, held = table.column(column), None
    for allowed in (lim for lim in LIMITS[asset] if lim.column == column):
        within = _holds(allowed, values)
        if allowed.kind is not None:
            within = pc.and_(pc.equal(table.column("kind"), allowed.kind), within)
        held = within if held is None else pc.or_(held, within)
    return held


def _holds(allowed: Limit, values):
    held = (pc.greater if allowed.above_low else pc.greater_equal)(values, allowed.low)
    if allowed.high is not None:
        held = pc.and_(held, pc.less_equal(values, allowed.high))
    return pc.and_(held, pc.not_equal(values, 0)) if allowed.nonzero else held


def _classify_each(topic: str, rules: Rules, values: list, appended: list, schema) -> list:
    """`classify` on each value: the RAW_* columns (null where bad), then reason and detail."""
    width = len(RAW_SCHEMAS[TOPICS[topic]])
    verdicts = [classify(topic, value, rules, when) for value, when in zip(values, appended, strict=True)]
    try:
        typed = _typed_columns(verdicts, schema, width)
    except Exception:  # noqa: BLE001 - find the rows that do not convert; only they are quarantined
        verdicts = [_convertible(verdict, schema, width) for verdict in verdicts]
        typed = _typed_columns(verdicts, schema, width)
    reasons = pa.array([v.reason for v in verdicts], pa.string())
    return [*typed, reasons, pa.array([v.detail or None for v in verdicts], pa.string())]


def _typed_columns(verdicts: list[Verdict], schema, width: int) -> list:
    rows = [(None,) * width if v.row is None else tuple(v.row.values()) for v in verdicts]  # schema order
    by_field = zip(*rows, strict=True) if rows else [[]] * width
    return [pa.array(column, schema.field(i).type) for i, column in enumerate(by_field)]


def _convertible(verdict: Verdict, schema, width: int) -> Verdict:
    """The verdict, or `unrepresentable` when its row does not convert to the Arrow types."""
    try:
        _typed_columns([verdict], schema, width)
        return verdict
    except Exception as error:  # noqa: BLE001 - any failure to convert is this record's, not the batch's
        return Verdict(None, UNREPRESENTABLE, f"{type(error).__name__}: {error}"[:500])


def _texts(values):
    """The message values as text: at C speed when all are UTF-8, else each bad byte kept as `\\xNN`."""
    try:
        return values.cast(pa.string())
    except pa.ArrowInvalid:
        texts = [None if v is None else v.decode("utf-8", "backslashreplace") for v in values.to_pylist()]
        return pa.array(texts, pa.string())


def _strings(values):
    return pa.array(sorted(values), pa.string())


def _instant(naive_utc):
    return pa.scalar(naive_utc, arrow_type("timestamp"))


def _now(rules: Rules):
    return _instant(rules.now.astimezone(UTC).replace(tzinfo=None))


def _duration(span: timedelta):
    return pa.scalar(span, pa.duration("us"))
