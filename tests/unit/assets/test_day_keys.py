"""A day typed by a person or an Airflow trigger is a calendar day in YYYY-MM-DD form, or a clear error.

Partition keys are compared as strings and become lake paths and SQL values: '2026-3-1' would select
nothing without a word, so every entry refuses it (runner Selection, spark/submit.py partitions, DAG params).
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assets.model import checked_day
from assets.runner import Selection
from assets.steps import parse_partitions

MALFORMED = [
    "2026-3-1", "2026-03-1", "20260301", "2026-02-30", "2026-13-01", " 2026-03-01", "2026-03-01T00:00",
    "2026/03/01", "'; DROP TABLE fact_sales; --", "../../etc", "2026-03-01\n", "２０２６-03-01", "",
]


@given(st.dates(min_value=date(1000, 1, 1)))
def test_every_calendar_day_passes_as_written(day):
    assert checked_day(day.isoformat()) == day.isoformat()


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_days_are_refused_naming_the_entry(text):
    with pytest.raises(ValueError, match=r"partition key .* YYYY-MM-DD"):
        checked_day(text, "partition key")


def test_selection_refuses_bad_days_and_empty_ranges():
    assert Selection(date_from="2026-03-01", date_to="2026-03-01").in_range("2026-03-01")
    with pytest.raises(ValueError, match="date_from '2026-3-1'"):
        Selection(date_from="2026-3-1")
    with pytest.raises(ValueError, match="empty range: 2026-03-05 is after 2026-03-01"):
        Selection(date_from="2026-03-05", date_to="2026-03-01")


def test_submitted_partitions_must_be_days():
    assert parse_partitions("2026-01-02, 2026-01-01,") == ("2026-01-01", "2026-01-02")
    assert parse_partitions("") == ()
    with pytest.raises(ValueError, match="partition key '2026-01-01/../x'"):
        parse_partitions("2026-01-01/../x")


@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_dag_params_reject_malformed_days_before_a_run_starts(name):
    from airflow.sdk.definitions.param import ParamValidationError

    from assets.airflow_render import BACKFILL_PARAMS

    param = BACKFILL_PARAMS[name]
    assert param.resolve("2026-03-01") == "2026-03-01"
    assert param.resolve(None) is None
    for text in ("2026-3-1", "2026-02-30", "yesterday"):
        with pytest.raises(ParamValidationError):
            param.resolve(text)
