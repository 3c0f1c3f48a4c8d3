"""The POS event rules: every malformed payload is classified (never raised), each fault gets its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from infra.simulator import faults
from spark.jobs import pos_events
from spark.jobs.pos_events import REASONS, Rules, classify
from spark.schemas import RAW_SCHEMAS, TOPICS

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
RULES = Rules(frozenset({"S001", "S002"}), frozenset({"SKU00001", "SKU00002"}), NOW, 400)
TS = NOW - timedelta(days=3)


def test_a_valid_sale_becomes_a_typed_row():
    verdict = classify(
        "sales-transactions", json.dumps(faults.sale("e1", "S001", "SKU00001", TS)).encode(), RULES
    )
    assert verdict.reason is None
    assert set(verdict.row) == {name for name, _ in RAW_SCHEMAS["raw_sales"]}
    assert verdict.row["ts"] == TS.replace(tzinfo=None) and verdict.row["unit_price"] == 3.5


def test_every_injected_fault_gets_its_reason():
    cases = faults.malformed("S001", "SKU00001", TS, copies=1)
    rules = Rules(RULES.stores, RULES.skus, datetime.now(UTC), 400)
    got = {expected: classify(topic, payload, rules).reason for topic, _, payload, expected in cases}
    assert got == {expected: expected for expected in got}
    assert len(got) >= 10


def test_quantity_rules_depend_on_the_event_kind():
    def update(kind: str, quantity: int) -> str | None:
        event = {"event_id": "u", "kind": kind, "store_id": "S001", "sku": "SKU00001", "quantity": quantity,
                 "reason": "cycle_count", "ts": TS.strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
        return classify("inventory-updates", json.dumps(event), RULES).reason

    assert update("count", 0) is None
    assert update("adjustment", -3) is None
    assert update("adjustment", 0) == pos_events.QUANTITY_NOT_POSITIVE
    assert update("count", -1) == pos_events.QUANTITY_NOT_POSITIVE


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def mangled_events(draw):
    """A valid event with fields dropped, retyped or replaced, or plain garbage bytes."""
    topic = draw(st.sampled_from(sorted(TOPICS)))
    if draw(st.booleans()):
        return topic, draw(st.binary(max_size=300))
    event = faults.sale("p1", "S001", "SKU00001", TS)
    for name, _ in RAW_SCHEMAS[TOPICS[topic]]:
        action = draw(st.sampled_from(["keep", "keep", "drop", "replace"]))
        if action == "drop":
            event.pop(name, None)
        elif action == "replace":
            event[name] = draw(json_values)
    text = json.dumps(event, allow_nan=True)
    cut = draw(st.integers(0, len(text)))
    return topic, (text if draw(st.integers(0, 4)) else text[:cut]).encode()


@settings(max_examples=400, deadline=None)
@given(mangled_events())
def test_the_parser_never_raises_and_always_classifies(case):
    topic, payload = case
    verdict = classify(topic, payload, RULES)
    assert (verdict.row is None) != (verdict.reason is None)
    assert verdict.reason is None or verdict.reason in REASONS

