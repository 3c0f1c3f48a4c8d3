"""Validate a run's partitions together: one GX validation per stack of partitions, a verdict per partition.

A GX validation costs ~0.1 s of set-up whatever its rows, so validating 365 day partitions one by one made
gates a third of a full build. Instead the partitions' frames are stacked with a PARTITION column and the
suite is validated once per stack (of at most ROWS_PER_STACK rows):
- a row-wise (map) expectation whose arguments are the same for every partition runs once over all rows;
  its unexpected rows, grouped by partition, give each partition's verdict (a column check's `mostly` ratio
  is taken per partition, over the rows GX would count). Uniqueness is kept within a partition by adding
  PARTITION to the key.
- anything else (table-level checks: row count, mean, distinct values; order-dependent checks; arguments
  that differ by partition) is repeated per partition with a row condition that selects it, so GX computes
  it on that partition's rows alone. Their cost grows with the stack's rows, hence small stacks.
Either way a partition passes or fails exactly as it would validated alone (tests compare the two).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from expectations.prepare import PARTITION, Partition, resolve

ROWS_PER_STACK = 100_000  # per-partition checks filter the whole stack; set-up is ~0.3 s a stack
ACROSS_ROWS = {"expect_column_values_to_be_increasing", "expect_column_values_to_be_decreasing"}
# Null checks take their `mostly` ratio over every row; other column checks over the non-null values.
COUNTS_NULLS = {"expect_column_values_to_not_be_null", "expect_column_values_to_be_null"}


@dataclass
class Check:
    """One expectation as GX runs it on a stack, and how its result maps back to the suite and partitions."""

    number: int  # the expectation's position in the suite
    config: dict  # what GX validates (scoped to a partition, or uniqueness keyed by partition)
    stated: dict  # the expectation as the suite states it, resolved for `partition` (or for every one)
    partition: str | None  # None: over every partition of the stack, verdicts by grouping
    ignore_all_missing: tuple[str, ...] = ()  # compound uniqueness: rows missing all these were outside it
    mostly: float = 1.0  # the share of a partition's counted rows that must pass


def stacks(partitions: list[Partition]) -> list[list[Partition]]:
    """Consecutive partitions grouped so that no stack passes ROWS_PER_STACK rows (but one partition may)."""
    grouped: list[list[Partition]] = [[]]
    rows = 0
    for partition in partitions:
        if grouped[-1] and rows + len(partition.frame) > ROWS_PER_STACK:
            grouped.append([])
            rows = 0
        grouped[-1].append(partition)
        rows += len(partition.frame)
    return [group for group in grouped if group]


def checks(expectations: list[dict], partitions: list[Partition]) -> list[Check]:
    """The GX expectations that validate `partitions` stacked, for the suite's `expectations`."""
    found: list[Check] = []
    for number, expectation in enumerate(expectations):
        stated = [resolve(expectation, p.params) for p in partitions]
        if _row_wise(stated[0]) and all(s == stated[0] for s in stated):
            found.append(_whole_stack(number, stated[0]))
            continue
        if "row_condition" in expectation.get("kwargs", {}):
            raise ValueError(f"{expectation['type']}: a check the gate runs per partition cannot carry a "
                             "row_condition of its own (the gate's selects the partition)")  # fmt: skip
        found += [_per_partition(number, s, p.key) for s, p in zip(stated, partitions, strict=True)]
    return found


def _row_wise(expectation: dict) -> bool:
    """A map expectation judged row by row (no order across rows; a `mostly` only on a plain column check)."""
    from great_expectations.expectations.expectation import (  # lazy: GX ~2 s, only when a gate runs
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    from great_expectations.expectations.registry import get_expectation_impl  # lazy: GX, gates only

    kind, kwargs = get_expectation_impl(expectation["type"]), expectation["kwargs"]
    if expectation["type"] in ACROSS_ROWS:
        return False
    if kwargs.get("mostly", 1) < 1:  # its ratio's denominator is known for a plain column check
        return issubclass(kind, ColumnMapExpectation) and "row_condition" not in kwargs
    return issubclass(kind, (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation))


def _whole_stack(number: int, stated: dict) -> Check:
    kwargs, kind = dict(stated["kwargs"]), stated["type"]
    if kind == "expect_column_values_to_be_unique":  # nulls are outside a column's uniqueness
        kwargs = {k: v for k, v in kwargs.items() if k != "column"}
        kwargs |= {
            "column_list": [stated["kwargs"]["column"], PARTITION],
            "ignore_row_if": "any_value_is_missing",
        }
        return Check(number, {**stated, "type": "expect_compound_columns_to_be_unique", "kwargs": kwargs},
                     stated, None)  # fmt: skip
    if kind == "expect_compound_columns_to_be_unique":
        keys = tuple(kwargs["column_list"])
        kwargs["column_list"] = [*keys, PARTITION]
        # GX leaves out rows missing every key; with PARTITION in the key no row is, so leave them out after.
        ignored = (
            keys if kwargs.get("ignore_row_if", "all_values_are_missing") == "all_values_are_missing" else ()
        )
        return Check(number, {**stated, "kwargs": kwargs}, stated, None, ignored)
    return Check(number, stated, stated, None, mostly=kwargs.get("mostly", 1.0))


def _per_partition(number: int, stated: dict, key: str) -> Check:
    selects = {"type": "comparison", "column": {"name": PARTITION}, "operator": "==", "parameter": key}
    scoped = {**stated["kwargs"], "row_condition": selects}
    return Check(number, {**stated, "kwargs": scoped}, stated, key)


def verdicts(check: Check, details: dict, frame: pd.DataFrame) -> dict[str, tuple[list[int], bool]]:
    """Per partition of the stack: a whole-stack check's unexpected rows there, and whether it passes."""
    unexpected = _unexpected_by_partition(check, details, frame)
    counted = _counted_rows(check, frame) if check.mostly < 1 else {}
    found = {}
    for key in frame[PARTITION].unique():
        rows = unexpected.get(key, [])
        found[key] = (
            rows,
            not rows if check.mostly >= 1 else _mostly(counted.get(key, 0), len(rows), check.mostly),
        )
    return found


def _unexpected_by_partition(check: Check, details: dict, frame: pd.DataFrame) -> dict[str, list[int]]:
    index = pd.Index(details.get("unexpected_index_list") or [], dtype="int64")
    if check.ignore_all_missing and len(index):
        index = index[frame.loc[index, list(check.ignore_all_missing)].notna().any(axis=1).to_numpy()]
    owners = frame[PARTITION].to_numpy()[index.to_numpy()]
    return pd.Series(index.to_numpy()).groupby(pd.Series(owners, dtype=object)).agg(list).to_dict()


def _counted_rows(check: Check, frame: pd.DataFrame) -> dict[str, int]:
    """The rows GX's ratio counts: every row for a null check, the non-null values of the column otherwise."""
    if check.stated["type"] in COUNTS_NULLS:
        return frame.groupby(PARTITION).size().to_dict()
    return frame.groupby(PARTITION)[check.stated["kwargs"]["column"]].count().to_dict()


def _mostly(counted: int, unexpected: int, mostly: float) -> bool:
    """GX's own rule: vacuously true over no rows, else the passing share must reach `mostly`."""
    return counted == 0 or (float(counted) - float(unexpected)) / float(counted) >= mostly
