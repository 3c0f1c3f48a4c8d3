"""Classifying Arrow batches: the column path and `pos_events.classify` give every record the same verdict."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.simulator import faults
from spark.jobs import event_batches, pos_events
from spark.jobs.pos_events import KINDS as KINDS_OF
from spark.jobs.pos_events import QUANTITY_RANGE, Rules, classify
from spark.schemas import RAW_SCHEMAS, TOPICS
from tests.unit.spark.test_pos_events import RULES, TS, json_values


def till_event(topic: str, n: int, ts: datetime = TS) -> bytes:
    """A valid event of any declared `topic`, spelled as the simulator's tills spell it (compact JSON, times
    with microseconds and Z), built from the topic's columns and rules so that a topic added later is covered.
    """
    asset = TOPICS[topic]
    kind = KINDS_OF[asset][n % len(KINDS_OF[asset])] if asset in KINDS_OF else None
    low, _ = QUANTITY_RANGE.get(asset) or QUANTITY_RANGE.get((asset, kind), (1, None))
    quantity = max(low, 1) + n % 5 if kind != "adjustment" else -1 - n % 3
    event = {name: _value(name, column, n, ts, quantity) for name, column in RAW_SCHEMAS[asset]}
    event.update({"store_id": ("S001", "S002")[n % 2], "sku": ("SKU00001", "SKU00002")[n % 3 % 2]})
    if kind is not None:
        event["kind"] = kind
    return json.dumps(event, separators=(",", ":")).encode()


def _value(name: str, column: str, n: int, ts: datetime, quantity: int):
    if column == "string":
        return f"{name[:2]}-{n}"
    if column == "double":
        return 0.5 * (n % 2) if name == "discount" else 2.49
    if column == "timestamp":  # other instants (a promised arrival) a day after the event's own
        return _stamp(ts if name == "ts" else ts + timedelta(days=1))
    return quantity if column == "int" else n % 2 == 1


def _stamp(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def batch_of(values: list[bytes | None]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {
            "partition": pa.array([0] * len(values), pa.int32()),
            "offset": pa.array(range(len(values)), pa.int64()),
            "value": pa.array(values, pa.binary()),
        }  # fmt: skip
    )


def classified(topic: str, values: list[bytes | None]) -> list[dict]:
    batches = event_batches.classify_batches(topic, RULES, [batch_of(values)])
    return pa.Table.from_batches(list(batches)).to_pylist()


def as_row(verdict) -> tuple:
    """What classify's verdict puts in the batch's RAW_* columns, reason and detail."""
    row = {k: v.replace(tzinfo=UTC) if isinstance(v, datetime) else v for k, v in (verdict.row or {}).items()}
    return row or None, verdict.reason, verdict.detail or None


def test_the_columns_accept_what_the_tills_send():
    for topic in TOPICS:
        values = [till_event(topic, n) for n in range(300)]
        assert all(classify(topic, v, RULES).reason is None for v in values), topic
        accepted, _ = event_batches.accept_columns(topic, RULES, pa.array(values, pa.binary()))
        assert accepted.tolist() == list(range(300)), topic  # the fast path is really taken


def test_a_batch_keeps_every_record_in_kafka_order():
    values = [till_event("sales-transactions", 1), b"{oops", None, till_event("sales-transactions", 2)]
    out = classified("sales-transactions", values)
    assert [r[pos_events.REASON] for r in out] == [None, "unparseable_json", "unparseable_json", None]
    assert [r["kafka_offset"] for r in out] == [0, 1, 2, 3]
    assert [r["event_id"] for r in out] == ["ev-1", None, None, "ev-2"]
    assert out[0]["ts"] == TS
    assert out[1][pos_events.PAYLOAD] == "{oops"


def test_every_injected_fault_gets_its_reason_in_a_batch():
    rules = Rules(RULES.stores, RULES.skus, datetime.now(UTC), 400)
    cases = faults.malformed("S001", "SKU00001", datetime.now(UTC) - timedelta(days=1), copies=1)
    good = [till_event("sales-transactions", n, datetime.now(UTC) - timedelta(days=1)) for n in range(200)]
    values = good[:100] + [payload for _, _, payload, _ in cases] + good[100:]
    batches = event_batches.classify_batches("sales-transactions", rules, [batch_of(values)])
    reasons = pa.Table.from_batches(list(batches)).column(pos_events.REASON).to_pylist()
    assert reasons[100 : 100 + len(cases)] == [expected for _, _, _, expected in cases]
    assert reasons[:100] == reasons[100 + len(cases) :] == [None] * 100


# Values at the edge of each rule (RULES: now 2026-06-01T12:00Z, 5 min of clock skew, 400 days kept).
EDGES = {
    "quantity": [0, -1, 1, 999, 1000, 1001, 99_999, 100_000, 100_001, -10_000, -10_001, 10_000, 10_001,
                 2**31 - 1, 2**31, -(2**31) - 1, 1.0, "3", True, None],
    "money": [0, 0.0, -0.0, -1e-12, -0.01, 0.01, 999_999_999_999.0, 1e12, float("inf"), float("nan"), 3,
              "2.5", True, None],
    "ts": ["2026-05-29T10:00:00Z", "2026-05-29T10:00:00+00:00", "2026-05-29T10:00:00.5Z",
           "2026-05-29T10:00:00", "2026-05-29T11:00:00+01:00", "2026-05-29 10:00:00Z",
           "2026-05-29T10:00:00.1234567Z",
           "2026-02-30T10:00:00Z", "2026-05-29T24:00:00Z", "2026-05-29t10:00:00z", "yesterday", 1780000000,
           "2026-06-01T12:05:00Z", "2026-06-01T12:05:00.000001Z", "2025-04-27T12:00:00Z",
           "2025-04-27T11:59:59.999999Z", "0000-01-01T00:00:00Z", None],
    "kind": ["sale", "return", "count", "adjustment", "refund", "", "SALE", 1, None],
    "known": ["S001", "S002", "S999", "SKU00001", "SKU00002", "SKU9", " S001", "", 1, None],
    "string": ["", " ", "\u00a0", "\t", "-", "x", "\u00e9", "a\u0000", "\ud83d\ude00", 5, True, None, [], {}],
    "boolean": [True, False, 0, 1, "true", None],
}  # fmt: skip
KINDS = {name: kind for columns in RAW_SCHEMAS.values() for name, kind in columns}


def edges(name: str, event: dict) -> list:
    if name in ("quantity", "kind", "ts"):
        return EDGES[name]
    if name in ("store_id", "sku"):
        return EDGES["known"]
    if name == "discount":  # around the line's value, the most a discount may take off
        line = event.get("unit_price", 0) * event.get("quantity", 0) if _numbers(event) else 0.0
        return [*EDGES["money"], line, line + 5e-10, line + 2e-9]
    kind = KINDS[name]
    return EDGES["money"] if kind == "double" else EDGES["ts"] if kind == "timestamp" else EDGES[kind]


def _numbers(event: dict) -> bool:
    return all(type(event.get(k)) in (int, float) for k in ("unit_price", "quantity"))


@st.composite
def mangled(draw, topic: str) -> bytes | None:
    """A till's event with one or two fields dropped or set to a rule's edge, respelled or cut; or garbage."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.none() | st.binary(max_size=200))
    event = json.loads(till_event(topic, draw(st.integers(0, 50))))
    for name in draw(st.lists(st.sampled_from(sorted(event)), min_size=1, max_size=2, unique=True)):
        action = draw(st.sampled_from(["drop", "edge", "edge", "edge", "edge", "any"]))
        if action == "drop":
            del event[name]
        else:
            event[name] = draw(st.sampled_from(edges(name, event)) if action == "edge" else json_values)
    if draw(st.integers(0, 9)) == 0:
        event[draw(st.sampled_from(["note", "store_id"]))] = draw(json_values)
    text = json.dumps(event, allow_nan=True, separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])))
    edit = draw(st.integers(0, 24))
    if edit == 0:
        text = text[: draw(st.integers(0, len(text)))]
    elif edit == 1:
        text = draw(st.sampled_from([" ", "\n", "\ufeff"])) + text
    elif edit == 2:
        text = text + draw(st.sampled_from([" ", "\n", text, " " + text]))
    elif edit == 3:
        text = text.replace('"', "'", 1)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def batches(draw, neighbours: int = 0):
    """Mangled events of one topic, between up to `neighbours` well-formed ones (for Arrow to read runs)."""
    topic = draw(st.sampled_from(sorted(TOPICS)))
    values = draw(st.lists(mangled(topic), min_size=1, max_size=60))
    good = draw(st.integers(0, neighbours))
    spread = [till_event(topic, n) for n in range(good)]
    return topic, spread[: good // 2] + values + spread[good // 2 :]


def edge_cases(topic: str) -> list[bytes]:
    """A till's event with one field dropped or set to each edge of its rule; extra fields; respellings."""
    base = json.loads(till_event(topic, 2))
    cases = []
    for name in base:
        cases.append({k: v for k, v in base.items() if k != name})
        cases += [{**base, name: value} for value in edges(name, base)]
    cases += [{**base, "note": value} for value in (float("inf"), float("nan"), "}{", {"a": [1]}, "NaN")]
    texts = [json.dumps(case, allow_nan=True) for case in cases]
    plain = json.dumps(base)
    texts += [" " + plain, plain + " ", "\ufeff" + plain, plain + plain, plain + "\n" + plain]
    texts.append("[" + plain + "]")
    texts += readers_disagree(base)
    raw = [text.encode("utf-8", "surrogatepass") for text in texts]
    return raw + [plain.encode("utf-16"), plain.encode("utf-8").replace(b"S00", b"S\xe900", 1)]


def readers_disagree(event: dict) -> list[str]:
    """`event` respelled as JSON that readers resolve differently, and as the safe spellings beside those."""
    plain, first = json.dumps(event)[:-1], next(iter(event))
    strings = [name for name in event if KINDS[name] == "string"]
    numbers = [name for name in event if KINDS[name] == "double"]
    return [
        f"{plain}, {json.dumps(first)}: {json.dumps(event[first])}}}",  # the same key twice, same value
        f'{plain}, "\\u{ord(first[0]):04x}{first[1:]}": {json.dumps(event[first])}}}',  # spelled escaped
        f'{plain}, "note": 1, "note": 2}}',
        f'{plain}, "note": {"[" * 31}{"]" * 31}}}',
        f'{plain}, "note": {"[" * 32}{"]" * 32}}}',
        f'{plain}, "note": "\\ud800"}}',
        *[
            json.dumps({**event, name: value})
            for name in strings[:2]  # event_id and the next: never a store or SKU, whose value must be known
            for value in ("\ud800", "x\udfff", "\U0001f600")
        ],
        *[json.dumps({**event, name: -0.0}) for name in numbers],
        *[
            json.dumps({k: v for k, v in event.items() if k != name})[:-1] + f', "{name}": -0}}'
            for name in numbers
        ],
    ]


def test_every_rule_edge_gets_the_same_verdict_as_classify():
    for topic in TOPICS:
        values = edge_cases(topic)
        with patch.object(event_batches, "SMALLEST_RUN", 1):
            got = verdicts(topic, classified(topic, values))
        want = [as_row(classify(topic, value, RULES)) for value in values]
        assert [(v, g) for v, g, w in zip(values, got, want, strict=True) if g != w] == []
        assert sum(reason is None for _, reason, _ in want) >= 10  # edges on the accepted side too


@settings(max_examples=300, deadline=None)
@given(batches())
def test_the_columns_and_classify_agree_on_every_record(case):
    topic, values = case
    # Halving down to one record puts every record Arrow can read through the column rules.
    with patch.object(event_batches, "SMALLEST_RUN", 1):
        got = classified(topic, values)
    assert verdicts(topic, got) == [as_row(classify(topic, value, RULES)) for value in values]


@settings(max_examples=50, deadline=None)
@given(batches(neighbours=200))
def test_runs_arrow_refuses_are_left_to_classify(case):
    topic, values = case
    assert verdicts(topic, classified(topic, values)) == [as_row(classify(topic, v, RULES)) for v in values]


def verdicts(topic: str, rows: list[dict]) -> list[tuple]:
    width = len(event_batches.output_columns(topic)) - 5
    return [
        ({k: row[k] for k in list(row)[:width]} if row[pos_events.REASON] is None else None,
         row[pos_events.REASON], row[pos_events.DETAIL])
        for row in rows
    ]  # fmt: skip


def test_a_string_that_has_no_utf8_form_is_quarantined_and_its_batch_lands():
    """The reported crash: a well-formed event whose basket_id was a lone surrogate escape made the Arrow
    typing of its batch raise, so no event of the batch landed."""
    for topic in TOPICS:
        hostile = json.loads(till_event(topic, 1))
        hostile[next(iter(hostile))] = "\ud800"  # the event id: a free string in every topic
        values = [till_event(topic, n) for n in range(100)]
        values.insert(50, json.dumps(hostile).encode())
        out = classified(topic, values)
        assert [r[pos_events.REASON] for r in out] == [None] * 50 + [pos_events.AMBIGUOUS] + [None] * 50
        assert out[50][pos_events.PAYLOAD] == values[50].decode()


def test_a_row_that_does_not_convert_to_arrow_is_quarantined_alone():
    # A rule with a gap, as the one that let the reported event through: classify accepts a row whose
    # quantity has no int32 form.
    def with_a_gap(topic, payload, rules, appended=None):
        verdict = classify(topic, payload, rules, appended)
        if verdict.row and b'"ev-7"' in payload:
            return pos_events.Verdict({**verdict.row, "quantity": 2**40})
        return verdict

    values = [b"not json"] + [till_event("sales-transactions", n) for n in range(10)]
    failing = RuntimeError("a gap in the columns")
    with (
        patch.object(event_batches, "classify", with_a_gap),
        patch.object(event_batches, "SMALLEST_RUN", 100),
        patch.object(event_batches, "accept_columns", side_effect=failing),
    ):
        out = classified("sales-transactions", values)
    reasons = [None] * 7 + ["unrepresentable"] + [None] * 2
    assert [r[pos_events.REASON] for r in out] == ["unparseable_json", *reasons]
    assert (
        out[8][pos_events.DETAIL].startswith("ArrowInvalid: Value 1099511627776 too large")
        and out[8]["event_id"] is None
    )
    assert [r["event_id"] for r in out[1:8]] == [f"ev-{n}" for n in range(7)]


def test_a_failing_column_path_leaves_its_batch_to_classify():
    values = edge_cases("inventory-updates")
    want = verdicts("inventory-updates", classified("inventory-updates", values))
    with patch.object(event_batches, "_rules_hold", side_effect=ValueError("a gap in the rules")):
        got = verdicts("inventory-updates", classified("inventory-updates", values))
    assert got == want


def test_an_event_is_judged_by_when_the_broker_took_it_so_a_rerun_judges_alike():
    appended = RULES.now
    stalled = Rules(RULES.stores, RULES.skus, appended + timedelta(days=30), RULES.retention_days)  # a rerun
    values = [
        till_event("sales-transactions", 1, appended - timedelta(days=RULES.retention_days - 1)),  # was valid
        till_event("sales-transactions", 2, appended + timedelta(days=1)),  # ahead of the broker's clock
    ]
    when = pa.array([appended] * 2, pa.timestamp("ms", "UTC"))
    accepted, _ = event_batches.accept_columns("sales-transactions", stalled, pa.array(values), when)
    assert accepted.tolist() == [0]  # the column path judges by the record's time
    batch = batch_of(values).append_column("timestamp", when)
    with patch.object(event_batches, "accept_columns", side_effect=RuntimeError("no column path")):
        alone = list(event_batches.classify_batches("sales-transactions", stalled, [batch]))  # classify
    assert pa.Table.from_batches(alone).column(pos_events.REASON).to_pylist() == [None, "future_timestamp"]
    by_clock = event_batches.classify_batches("sales-transactions", stalled, [batch_of(values)])
    reasons = pa.Table.from_batches(list(by_clock)).column(pos_events.REASON).to_pylist()
    assert reasons == ["expired_timestamp", None]  # without a record time, the run's own clock decides
