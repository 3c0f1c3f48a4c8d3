"""One set of limits: the ingest's per-event rules, the Arrow batch path, the contracts and the suites take a
raw value's bounds from spark/contracts.py LIMITS, and agree at every edge of every limit.

The edges are derived from the declaration, so a limit changed or added there is checked here unchanged.
(The live-stock stream's side: tests/integration/test_live_stock.py.)
"""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

from expectations.suites import load_suite
from spark.contracts import LIMITS, ContractViolation, Limit, check
from spark.jobs import event_batches
from spark.jobs.pos_events import classify
from spark.schemas import RAW_SCHEMAS, TOPICS
from tests.unit.expectations.test_suites import GOOD, materialize
from tests.unit.expectations.test_suites import lake as lake  # noqa: F401 - the fixture
from tests.unit.spark.test_event_batches import RULES, batch_of, till_event

TOPIC_OF = {asset: topic for topic, asset in TOPICS.items()}
CASES = [(asset, lim) for asset, limits in LIMITS.items() for lim in limits]
IDS = [f"{asset}.{lim.column}.{lim.kind or 'any'}" for asset, lim in CASES]


def edges(lim: Limit, kind: str) -> list[float]:
    """Values on and just beside each bound (and 0 when 0 is refused)."""
    step = 1 if kind == "int" else 0.01
    values = [lim.low - step, lim.low, lim.low + step, *([0] if lim.nonzero else [])]
    if lim.high is not None:
        values += [lim.high - step, lim.high, lim.high + step]
    return sorted({int(v) if kind == "int" else float(v) for v in values})


def column_kind(asset: str, column: str) -> str:
    return dict(RAW_SCHEMAS[asset])[column]


def event_with(asset: str, lim: Limit, value) -> bytes:
    """A valid event of the asset (of the limit's kind) whose `lim.column` is `value`, no other value near
    a bound."""
    for n in range(12):
        event = json.loads(till_event(TOPIC_OF[asset], n))
        if lim.kind in (None, event.get("kind")):
            break
    event[lim.column] = value
    if "discount" in event and lim.column != "discount":
        event["discount"] = 0.0
    return json.dumps(event).encode()


def accepted_by_classify(asset: str, payload: bytes) -> bool:
    return classify(TOPIC_OF[asset], payload, RULES).reason is None


def accepted_by_batches(asset: str, payload: bytes) -> bool:
    batches = event_batches.classify_batches(TOPIC_OF[asset], RULES, [batch_of([payload] * 80)])
    reasons = set(pa.Table.from_batches(list(batches)).column("_reason").to_pylist())
    assert len(reasons) == 1  # the column path and the per-record fallback agree
    return reasons == {None}


@pytest.mark.parametrize(("asset", "lim"), CASES, ids=IDS)
def test_the_ingest_rules_and_the_batch_path_follow_the_declared_limit(asset, lim):
    kind = column_kind(asset, lim.column)
    for value in edges(lim, kind):
        payload = event_with(asset, lim, value)
        expected = lim.holds(value)
        assert accepted_by_classify(asset, payload) is expected, (lim, value)
        assert accepted_by_batches(asset, payload) is expected, (lim, value)


WHOLE_COLUMN = [(asset, lim) for asset, lim in CASES if lim.kind is None]  # per-kind: the ingest's alone


@pytest.mark.parametrize(("asset", "lim"), WHOLE_COLUMN, ids=[f"{a}.{lim.column}" for a, lim in WHOLE_COLUMN])
def test_the_contract_refuses_what_the_ingest_refuses(asset, lim):
    values = edges(lim, column_kind(asset, lim.column))
    inside = next(value for value in values if lim.holds(value))
    row = classify(TOPIC_OF[asset], event_with(asset, lim, inside), RULES).row
    for value in values:
        written = {"kafka_partition": 0, "kafka_offset": 1, "date": row["ts"].date()}  # the ingest adds these
        frame = pd.DataFrame([{**row, **written, lim.column: value}])
        try:
            held = check(frame, asset) is frame
        except ContractViolation:
            held = False
        assert held is lim.holds(value), (lim, value)


SUITE_CASES = [(asset, lim) for asset, lim in WHOLE_COLUMN if asset in GOOD]


@pytest.mark.parametrize(("asset", "lim"), SUITE_CASES, ids=[f"{a}.{lim.column}" for a, lim in SUITE_CASES])
def test_the_suite_blocks_exactly_what_the_ingest_quarantines(lake, asset, lim):
    label = f"expect_column_values_to_be_between({lim.column})"
    assert label in {f"{e['type']}({e['kwargs']['column']})" for e in load_suite(asset)["expectations"]
                     if "column" in e["kwargs"]}, f"the {asset} suite does not check {lim.column}"
    for value in edges(lim, column_kind(asset, lim.column)):
        key = materialize(lake, asset, lambda frame, v=value: frame.assign(**{lim.column: v}))
        result = lake.gate(asset, key)  # a block stops the day; a warning is reported
        failed = {f["expectation"] for f in result.blocking + result.warnings}
        assert (label in failed) is not lim.holds(value), (lim, value, failed)


def test_a_suite_may_not_state_bounds_the_contract_declares(tmp_path, monkeypatch):
    from expectations import suites

    suite = json.loads((suites.SUITES_DIR / "raw_sales.json").read_text())
    for expectation in suite["expectations"]:
        if expectation["kwargs"].get("column") == "quantity":
            expectation["kwargs"]["max_value"] = 5_000
    (tmp_path / "raw_sales.json").write_text(json.dumps(suite))
    monkeypatch.setattr(suites, "SUITES_DIR", tmp_path)
    with pytest.raises(ValueError, match="states bounds"):
        suites.load_suite("raw_sales")
