"""The POS event rules: every malformed payload is classified (never raised), each fault gets its reason."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

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


def _sale(**fields) -> dict:
    return {**faults.sale("p1", "S001", "SKU00001", TS), **fields}


def _text(event: dict) -> str:
    return json.dumps(event)[:-1]  # without its closing brace, for fields to be spelled by hand


# JSON that readers disagree on (Python's json keeps the last repeated key, Arrow refuses it, Jackson keeps
# the last; a lone surrogate is refused by Arrow and replaced by Jackson; depth limits differ, and Python's
# moves with the caller's stack) is quarantined; what all read alike is accepted.
SPELLINGS = {
    "repeated key": (_text(_sale()) + ', "quantity": 900}', pos_events.AMBIGUOUS),
    "repeated unknown key": (_text(_sale()) + ', "note": 1, "note": 2}', pos_events.AMBIGUOUS),
    "repeated key spelled with an escape": (_text(_sale()) + ', "q\\u0075antity": 2}', pos_events.AMBIGUOUS),
    "repeated key in a nested object": (_text(_sale()) + ', "note": {"a": 1, "a": 2}}', pos_events.AMBIGUOUS),
    "lone surrogate in a value": (json.dumps(_sale(basket_id="\ud800")), pos_events.AMBIGUOUS),
    "lone low surrogate in a key": (_text(_sale()) + ', "\\udc00": 1}', pos_events.AMBIGUOUS),
    "lone surrogate in a list": (_text(_sale()) + ', "note": ["\\ud83d"]}', pos_events.AMBIGUOUS),
    "33 levels deep": (_text(_sale()) + ', "note": ' + "[" * 32 + "]" * 32 + "}", pos_events.AMBIGUOUS),
    "1500 levels deep": (_text(_sale()) + ', "note": ' + "[" * 1500 + "]" * 1500 + "}", pos_events.AMBIGUOUS),
    "32 levels deep": (_text(_sale()) + ', "note": ' + "[" * 31 + "]" * 31 + "}", None),
    "brackets inside a string": (json.dumps(_sale(basket_id="[" * 40)), None),
    "escaped surrogate pair": (json.dumps(_sale(basket_id="\U0001f600")), None),
    "NUL escape": (json.dumps(_sale(basket_id="a\u0000b")), None),
    "huge integer": (
        _text({k: v for k, v in _sale().items() if k != "quantity"}) + ', "quantity": 1' + "0" * 400 + "}",
        pos_events.WRONG_TYPE,
    ),  # fmt: skip
    "huge exponent": (
        json.dumps(_sale(unit_price=1.0))[:-1].replace('"unit_price": 1.0', '"unit_price": 1e400') + "}",
        pos_events.WRONG_TYPE,
    ),  # fmt: skip
    "NaN": (json.dumps(_sale(discount=float("nan"))), pos_events.UNPARSEABLE),
    "-Infinity": (json.dumps(_sale(discount=float("-inf"))), pos_events.UNPARSEABLE),
    "byte order mark": ("\ufeff" + json.dumps(_sale()), pos_events.UNPARSEABLE),
}


def test_json_readers_disagree_on_is_quarantined_and_what_they_agree_on_is_accepted():
    got = {name: classify("sales-transactions", text.encode("utf-8", "surrogatepass"), RULES).reason
           for name, (text, _) in SPELLINGS.items()}  # fmt: skip
    assert got == {name: reason for name, (_, reason) in SPELLINGS.items()}


def test_only_utf8_is_read():
    text = json.dumps(_sale())
    assert classify("sales-transactions", text.encode("utf-8"), RULES).reason is None
    for encoding in ("utf-16", "utf-16-le", "utf-32"):  # json.loads would guess these
        assert classify("sales-transactions", text.encode(encoding), RULES).reason == pos_events.UNPARSEABLE
    surrogate = json.dumps(_sale(basket_id="\ud800"), ensure_ascii=False).encode("utf-8", "surrogatepass")
    latin1 = json.dumps(_sale(basket_id="caf\u00e9"), ensure_ascii=False).encode("latin-1")
    for raw in (surrogate, latin1):
        verdict = classify("sales-transactions", raw, RULES)
        assert verdict.reason == pos_events.UNPARSEABLE and verdict.detail.startswith("not UTF-8")


def test_a_negative_zero_is_stored_as_zero():
    verdict = classify("sales-transactions", json.dumps(_sale(discount=-0.0)), RULES)
    assert verdict.reason is None
    assert math.copysign(1.0, verdict.row["discount"]) == 1.0


def test_a_rule_with_a_gap_quarantines_the_event_with_the_error():
    with patch.object(pos_events, "_check_money", side_effect=ZeroDivisionError("division by zero")):
        verdict = classify("sales-transactions", json.dumps(_sale()), RULES)
    assert verdict.reason == pos_events.UNREPRESENTABLE
    assert verdict.detail == "ZeroDivisionError: division by zero"
