"""Classifying Arrow batches: the column path and `pos_events.classify` give every record the same verdict."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.simulator import faults
from infra.simulator.events import TEMPLATES
from spark.jobs import event_batches, pos_events
from spark.jobs.pos_events import Rules, classify
from spark.schemas import RAW_INVENTORY_UPDATES, RAW_PRICE_CHANGES, RAW_RECEIPTS, RAW_SALES, TOPICS
from tests.unit.spark.test_pos_events import RULES, TS, json_values


def till_event(topic: str, n: int, ts: datetime = TS) -> bytes:
    """A valid event of `topic` exactly as the simulator's tills encode it."""
    stamp = ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    fields = {
        "sales-transactions": (f"sa-{n}", "sale" if n % 7 else "return", f"b{n}", "S001", "S001-T1",
                               "SKU00002", 1 + n % 5, 2.49, 0.5 * (n % 2), stamp),
        "supplier-shipments": (f"rc-{n}", "S002", "SKU00001", "SUP01", f"po{n}", 48, 1.2, stamp),
        "inventory-updates": (f"iu-{n}", "count" if n % 2 else "adjustment", "S001", "SKU00001",
                              12 if n % 2 else -2, "cycle_count", stamp),
        "price-changes": (f"pc-{n}", "S001", "SKU00002", 3.99, "true" if n % 2 else "false", stamp),
    }[topic]  # fmt: skip
    return (TEMPLATES[topic] % fields).encode()


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
    assert [r["event_id"] for r in out] == ["sa-1", None, None, "sa-2"]
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
KINDS = dict(RAW_SALES + RAW_RECEIPTS + RAW_INVENTORY_UPDATES + RAW_PRICE_CHANGES)


def edges(name: str, event: dict) -> list:
    if name in ("quantity", "kind", "ts"):
        return EDGES[name]
    if name in ("store_id", "sku"):
        return EDGES["known"]
    if name == "discount":  # around the line's value, the most a discount may take off
        line = event.get("unit_price", 0) * event.get("quantity", 0) if _numbers(event) else 0.0
        return [*EDGES["money"], line, line + 5e-10, line + 2e-9]
    return EDGES["money"] if KINDS[name] == "double" else EDGES[KINDS[name]]


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
    return [text.encode("utf-8", "surrogatepass") for text in texts]


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
