"""pandera contracts: a good frame passes untouched; a bad one fails naming the column and the rule."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from spark.contracts import CONTRACTS, ContractViolation, check
from spark.schemas import INGEST_COLUMNS, RAW_SALES, spark_schema

AT, DAY = datetime(2026, 3, 10, 9), date(2026, 3, 10)
GOOD_SALE = ("e1", "sale", "b1", "S1", "t1", "A", 2, 2.5, 0.0, AT, 0, 1, DAY)
BAD_SALE = ("e2", "void", None, None, "t1", "A", 0, 2.5, 0.0, AT, 0, 2, DAY)
COLUMNS = [c for c, _ in RAW_SALES + INGEST_COLUMNS]


def test_a_good_pandas_frame_is_returned_as_is():
    frame = pd.DataFrame([GOOD_SALE], columns=COLUMNS)
    assert check(frame, "raw_sales") is frame


def test_a_bad_pandas_frame_names_each_column_and_rule():
    frame = pd.DataFrame([GOOD_SALE, BAD_SALE], columns=COLUMNS)
    with pytest.raises(ContractViolation) as caught:
        check(frame, "raw_sales")
    message = str(caught.value)
    assert message.startswith("raw_sales contract violated")
    for part in ("column 'kind': isin", "column 'store_id': not_nullable", "column 'quantity': greater_than"):
        assert part in message
    assert "basket_id" not in message, "nullable columns may be null"


def test_a_missing_column_and_an_unknown_contract_are_named():
    with pytest.raises(ContractViolation, match="column 'unit_price': missing"):
        check(pd.DataFrame([GOOD_SALE], columns=COLUMNS).drop(columns="unit_price"), "raw_sales")
    with pytest.raises(KeyError, match="no contract 'raw_salez'"):
        check(pd.DataFrame(), "raw_salez")


def test_every_asset_the_jobs_write_has_a_contract():
    assert {"raw_sales", "raw_receipts", "raw_inventory_updates", "raw_price_changes", "inventory_snapshot",
            "daily_features", "reorder_predictions"} <= set(CONTRACTS)


@pytest.mark.spark
def test_spark_frames_are_checked_with_pandera_pyspark(settings):
    from spark.session import get_spark

    spark = get_spark(settings)
    schema = spark_schema(RAW_SALES + INGEST_COLUMNS)
    good = spark.createDataFrame([GOOD_SALE], schema)
    assert check(good, "raw_sales") is good
    with pytest.raises(ContractViolation) as caught:
        check(spark.createDataFrame([GOOD_SALE, BAD_SALE], schema), "raw_sales")
    message = str(caught.value)
    assert "column 'kind': isin" in message and "column 'quantity': greater_than_or_equal_to(1)" in message
    assert "non-nullable column 'store_id' contains null" in message
    wrong_type = good.withColumn("unit_price", good["unit_price"].cast("int"))
    with pytest.raises(ContractViolation, match="unit_price.*DoubleType"):
        check(wrong_type, "raw_sales")
