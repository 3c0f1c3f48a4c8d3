"""inventory_snapshot and daily_features on tiny real lakes with the real jobs, against pandas references."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from assets.definitions import load_graph
from spark.context import JobContext
from tests import lake_reads

from ..unit.spark.ledger_reference import reference_ledger
from . import chain

pytestmark = pytest.mark.spark
GRAPH = load_graph()


def _days(n: int) -> list[str]:
    return [(chain.START + timedelta(days=i)).isoformat() for i in range(n)]


def build(settings, asset: str, days: list[str]):
    from assets.run import run_job

    return run_job(JobContext.in_place(GRAPH, asset, tuple(days), settings, "test"))


def read_asset(settings, relative: str) -> pd.DataFrame:
    frame = lake_reads.read_asset(settings, relative)
    frame["date"] = frame["date"].astype(str)
    return frame.sort_values(["store_id", "sku", "date"]).reset_index(drop=True)


def messy_events(dims, days: list[str], seed: int = 11) -> dict[str, pd.DataFrame]:
    """Chain events plus oversells and mid-day counts: every ledger rule gets exercised."""
    raw = chain.events(dims["stores"], dims["products"], len(days), seed=seed)
    rng, extra_sales, extra_updates = np.random.default_rng(seed), [], []
    for d, day in enumerate(days):
        base = datetime.fromisoformat(day)
        for store in dims["stores"]["store_id"]:
            sku = dims["products"]["sku"].iloc[d % len(dims["products"])]
            extra_sales.append(
                dict(
                    event_id=f"x-{store}-{day}",
                    kind="sale",
                    basket_id="bx",
                    store_id=store,
                    terminal_id="T9",
                    sku=sku,
                    quantity=int(rng.integers(5, 40)),
                    unit_price=1.0,
                    discount=0.0,
                    ts=base + timedelta(hours=10, minutes=d),
                )
            )
            extra_updates.append(
                dict(
                    event_id=f"k-{store}-{day}",
                    kind="count",
                    store_id=store,
                    sku=sku,
                    quantity=int(rng.integers(0, 20)),
                    reason="cycle_count",
                    ts=base + timedelta(hours=13, minutes=d),
                )
            )
    raw["raw_sales"] = pd.concat([raw["raw_sales"], pd.DataFrame(extra_sales)], ignore_index=True)
    raw["raw_inventory_updates"] = pd.concat(
        [raw["raw_inventory_updates"], pd.DataFrame(extra_updates)], ignore_index=True
    )
    return raw


def ledger_events(raw: dict[str, pd.DataFrame], store: str, sku: str) -> pd.DataFrame:
    """One series' events in the reference's shape."""
    frames = [raw["raw_sales"], raw["raw_receipts"].assign(kind="receipt"), raw["raw_inventory_updates"]]
    events = pd.concat([f[["store_id", "sku", "ts", "kind", "quantity"]] for f in frames], ignore_index=True)
    events = events[(events.store_id == store) & (events.sku == sku)].copy()
    events["date"] = pd.to_datetime(events["ts"]).dt.date.astype(str)
    return events


def test_snapshot_ledger_matches_the_event_walk_across_two_builds(spark, settings):
    days, dims = _days(8), chain.dimensions(2, 3)
    raw = messy_events(dims, days)
    chain.write_lake(settings, dims, raw)
    first = build(settings, "inventory_snapshot", days[:4])
    second = build(settings, "inventory_snapshot", days[4:])  # opens at the stored closing of day 4
    assert first.rows_by_partition == {d: 6 for d in days[:4]} and second.row_count == 24

    snapshot = read_asset(settings, "curated/inventory_snapshot")
    for (store, sku), series in snapshot.groupby(["store_id", "sku"]):
        expected = reference_ledger(ledger_events(raw, store, sku), days)
        for column in ["opening_on_hand", "sold", "returned", "received", "closing_on_hand", "discrepancy"]:
            assert series[column].tolist() == expected[column].tolist(), (store, sku, column)
    flow = (
        snapshot.opening_on_hand - snapshot.sold + snapshot.returned + snapshot.received + snapshot.adjusted
    )
    assert (snapshot.closing_on_hand == flow).all()
    assert snapshot.discrepancy.any() and snapshot.stock_out.any(), "the fixture exercises both rules"
    out = snapshot[snapshot.stock_out]
    assert ((out.stock_out_hours > 0) & (out.stock_out_hours <= 12)).all()


def features_reference(snapshot: pd.DataFrame) -> pd.DataFrame:
    """Lags and trailing statistics with plain pandas shifts and rolling windows over the dense days."""
    frames = []
    for _, series in snapshot.groupby(["store_id", "sku"]):
        sold = series.set_index("date")["sold"].astype(float)
        out = pd.DataFrame(
            {
                "store_id": series.store_id.iloc[0],
                "sku": series.sku.iloc[0],
                "date": sold.index,
                "units_sold": sold.to_numpy(),
            }
        )
        for k in (1, 7, 14, 28):
            out[f"lag_{k}"] = sold.shift(k).to_numpy()
        for n in (7, 14, 28, 90):
            past = sold.shift(1).rolling(n, min_periods=1)
            out[f"mean_{n}"], out[f"std_{n}"], out[f"max_{n}"] = (
                past.mean().values,
                past.std().values,
                past.max().values,
            )
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


def test_features_match_a_pandas_reference_and_never_see_their_own_day(spark, settings):
    days, dims = _days(40), chain.dimensions(2, 3)
    chain.write_lake(settings, dims, chain.events(dims["stores"], dims["products"], len(days)))
    build(settings, "inventory_snapshot", days)
    wanted = days[30:]
    result = build(settings, "daily_features", wanted)
    assert result.rows_by_partition == {d: 6 for d in wanted}

    features = read_asset(settings, "curated/daily_features")
    assert sorted(features.date.unique()) == wanted, "only the requested days are written"
    expected = features_reference(read_asset(settings, "curated/inventory_snapshot"))
    merged = features.merge(expected, on=["store_id", "sku", "date"], suffixes=("", "_ref"))
    assert len(merged) == len(features)
    for column in [c for c in expected.columns if c not in ("store_id", "sku", "date")]:
        np.testing.assert_allclose(merged[column], merged[f"{column}_ref"], rtol=1e-9, err_msg=column)
    assert features.day_of_week.between(1, 7).all() and (features.price > 0).all()
    promo_days = features[features.promo]
    assert len(promo_days) and (promo_days.price < promo_days.list_price).all()
