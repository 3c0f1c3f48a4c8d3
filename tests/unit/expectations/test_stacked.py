"""Stacked validation judges every partition exactly as Great Expectations does validating it alone.

The reference is GX itself: each partition's frame validated by its own checkpoint, as gates did before
stacking. Random frames break every kind of check the planner treats differently (row-wise, uniqueness with
missing keys, `mostly` ratios, table-level, order across rows, arguments that differ by partition).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from expectations import stacked
from expectations.docs import GateContext
from expectations.prepare import Partition, resolve, stack_frame
from expectations.suites import CHECK, _validate_stack
from infra.settings import Settings

WHY = {"severity": "block", "why": "test"}
SUITE = {"name": "stacked_test", "meta": {"shelfwise": {"row_keys": ["store_id", "sku"]}}, "expectations": [
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "qty", "min_value": 0}},
    {"type": "expect_column_values_to_be_in_set",
     "kwargs": {"column": "kind", "value_set": ["sale", "return"]}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "price", "mostly": 0.8}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "kind"}},
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "event_id"}},
    {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["store_id", "sku"]}},
    {"type": "expect_column_pair_values_a_to_be_greater_than_b",
     "kwargs": {"column_A": "price", "column_B": "cost", "or_equal": True}},
    {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": {"$param": "rows_min"}}},
    {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "qty", "max_value": 2.5}},
    {"type": "expect_column_values_to_be_increasing", "kwargs": {"column": "seq"}},
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "qty", "max_value": {"$param": "qty_max"}}},
    {"type": "expect_column_values_to_be_in_set",
     "kwargs": {"column": "kind", "value_set": ["sale"], "mostly": 0.8}},
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "qty", "min_value": 0, "mostly": 0.85}},
]}  # fmt: skip
for line in SUITE["expectations"]:
    line["meta"] = WHY


def partition(rng: np.random.Generator, day: int) -> Partition:
    """A day of rows with a few of everything broken, at random."""
    n = int(rng.integers(20, 40))
    broken = lambda share: rng.random(n) < share  # noqa: E731
    frame = pd.DataFrame({
        "event_id": [f"e{i}" for i in range(n)],  # the same ids on every day: unique only within one
        "store_id": rng.choice(["S1", "S2", None], n, p=[0.45, 0.45, 0.1]),
        "sku": rng.choice(["A", "B", "C", "D", None], n, p=[0.3, 0.3, 0.2, 0.1, 0.1]),
        "qty": rng.integers(-1, 5, n).astype(float),
        "kind": rng.choice(["sale", "return", "bogus"], n, p=[0.8, 0.15, 0.05]),
        "price": np.where(broken(0.2), np.nan, rng.uniform(1, 3, n)), "cost": rng.uniform(0.5, 2.5, n),
        "seq": np.cumsum(rng.integers(0, 3, n)) - np.where(broken(0.05), 5, 0),
    })  # fmt: skip
    frame.loc[broken(0.05), "event_id"] = None
    frame.loc[broken(0.1), "event_id"] = "e0"
    frame.loc[broken(0.05), "kind"] = None
    frame.loc[broken(0.05), "qty"] = np.nan
    frame.loc[broken(0.05), ["store_id", "sku"]] = None
    params = {"rows_min": int(rng.integers(20, 40)), "qty_max": int(rng.integers(3, 5))}
    return Partition(f"2026-03-{day:02d}", frame, params)


def alone(gate: GateContext, part: Partition) -> dict[tuple[str, int], tuple[bool, int]]:
    """The reference: the partition validated by itself, one checkpoint, as before stacking."""
    lines = [
        {**resolve(e, part.params), "meta": {**WHY, CHECK: n}} for n, e in enumerate(SUITE["expectations"])
    ]
    result, _ = gate.validate({**SUITE, "name": f"alone.{part.key}", "expectations": lines}, part.frame,
                              f"alone_{part.key}")  # fmt: skip
    return {(part.key, r.expectation_config.meta[CHECK]): (bool(r.success), int((r.result or {}).get(
        "unexpected_count") or 0)) for r in result.results}  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stacked_verdicts_match_each_partition_validated_alone(tmp_path, seed):
    rng = np.random.default_rng(seed)
    parts = [partition(rng, day) for day in range(1, 7)]
    ctx = SimpleNamespace(asset=SimpleNamespace(name="stacked_test"), settings=Settings(home=tmp_path))
    gate = GateContext("run-1")
    try:
        found, _ = _validate_stack(ctx, gate, SUITE, parts, stack_frame(ctx, {}, parts))
        reference: dict = {}
        for part in parts:
            reference.update(alone(gate, part))
    finally:
        gate.close()
    stacked_verdicts = {(f.partition, f.number): (f.success, f.unexpected_count) for f in found}
    assert stacked_verdicts == reference
    assert not all(ok for ok, _ in reference.values()), "the random frames break something"
    assert any(ok for ok, _ in reference.values()), "and leave something whole"


def test_row_wise_checks_run_once_over_the_stack_and_the_rest_per_partition():
    rng = np.random.default_rng(0)
    parts = [partition(rng, day) for day in (1, 2)]
    parts[1].params["qty_max"] = parts[0].params["qty_max"] + 1
    planned = stacked.checks(SUITE["expectations"], parts)
    whole = [c.number for c in planned if c.partition is None]
    per_partition = sorted({c.number for c in planned if c.partition is not None})
    assert whole == [0, 1, 2, 3, 4, 5, 6, 11, 12]
    assert per_partition == [7, 8, 9, 10]  # table-level twice, order across rows, an argument of its own


def test_stacks_stay_under_the_row_budget(monkeypatch):
    monkeypatch.setattr(stacked, "ROWS_PER_STACK", 50)
    parts = [Partition(str(i), pd.DataFrame({"x": range(20)})) for i in range(5)]
    assert [[p.key for p in group] for group in stacked.stacks(parts)] == [["0", "1"], ["2", "3"], ["4"]]
