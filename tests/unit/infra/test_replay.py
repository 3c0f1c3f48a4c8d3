"""`simulate --replay m5` on a committed slice of the real data (tests/data/replay/m5: 2 stores x 4 items x
28 days): the events carry M5's units and sell prices, the books never go negative, and the events land in
the raw lake exactly as the ingest would write them."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from infra.lake import lake_path, read_partition_versions
from infra.simulator.chain import dimension_tables
from infra.simulator.lake_events import day_version, write_raw_events
from infra.simulator.replay import ReplayWindow, load_replay, parse_start, replay_days

DATA = Path(__file__).resolve().parents[2] / "data" / "replay"
M5 = DATA / "m5"


def _m5_units() -> pd.DataFrame:
    """The slice's units, long: store_id, item_id, date, units (read independently of the replay)."""
    wide = pd.read_csv(M5 / "sales_train_validation_subset_28items_x_10stores.csv.gz")
    long = wide.melt(
        ["id", "item_id", "dept_id", "cat_id", "store_id", "state_id"], var_name="d", value_name="units"
    )
    calendar = pd.read_csv(M5 / "calendar.csv")[["d", "date", "wm_yr_wk"]]
    return long.merge(calendar, on="d")


def _decoded(window: ReplayWindow | None = None) -> dict[str, list[dict]]:
    replay = load_replay(DATA, window or ReplayWindow())
    _, days = replay_days(replay, seed=3)
    events = defaultdict(list)
    for day in days:
        for topic, (_, values) in day.messages.items():
            events[topic] += [json.loads(v) for v in values]
    return events


def test_sales_per_day_and_series_equal_m5_units():
    sales = pd.DataFrame(_decoded()["sales-transactions"])
    assert set(sales["kind"]) == {"sale"} and (sales["quantity"] > 0).all()
    sales["date"] = sales["ts"].str[:10]
    replayed = sales.groupby(["store_id", "sku", "date"])["quantity"].sum()
    m5 = _m5_units().set_index(["store_id", "item_id", "date"])["units"]
    expected = m5[m5 > 0]
    assert replayed.to_dict() == {k: int(v) for k, v in expected.items()}
    assert (
        sales.groupby("date")["quantity"].sum().to_dict()
        == _m5_units().groupby("date")["units"].sum().to_dict()
    )
    hours = pd.to_datetime(sales["ts"]).dt.hour
    assert hours.between(6, 22).all(), "sales fall in the opening hours"


def test_prices_match_sell_prices_and_change_when_the_week_does():
    events = _decoded()
    weekly = pd.read_csv(M5 / "sell_prices.csv.gz")
    calendar = pd.read_csv(M5 / "calendar.csv")[["date", "wm_yr_wk"]]
    price_of = weekly.merge(calendar, on="wm_yr_wk").set_index(["store_id", "item_id", "date"])["sell_price"]
    sales = pd.DataFrame(events["sales-transactions"])
    keys = zip(sales["store_id"], sales["sku"], sales["ts"].str[:10], strict=True)
    assert sales["unit_price"].tolist() == [price_of[k] for k in keys]

    changes = pd.DataFrame(events["price-changes"]).assign(date=lambda f: f["ts"].str[:10])
    first_day = calendar["date"].min()
    opening = changes[changes["date"] == first_day]
    assert len(opening) == weekly["wm_yr_wk"].eq(calendar["wm_yr_wk"].min()).sum(), "the opening price list"
    moves = (
        weekly.sort_values("wm_yr_wk").groupby(["store_id", "item_id"])["sell_price"].diff().fillna(0) != 0
    )
    later = changes[changes["date"] > first_day]
    assert len(later) == moves.sum() == 3  # HOBBIES_1_254 in both stores, HOUSEHOLD_1_272 in CA_2
    assert all(
        price_of[(s, k, d)] == p
        for s, k, d, p in later[["store_id", "sku", "date", "price"]].itertuples(index=False)
    )


def test_the_books_never_go_negative_and_dimensions_carry_m5_attributes():
    replay = load_replay(DATA)
    simulator, days = replay_days(replay, seed=3)
    events = defaultdict(list)
    for day in days:
        for topic, (_, values) in day.messages.items():
            events[topic] += [json.loads(v) for v in values]
    assert (simulator.ledger.on_hand >= 0).all()
    assert simulator.ledger.received.sum() > 0 and events["supplier-shipments"]
    assert {e["reason"] for e in events["inventory-updates"]} == {"opening_count", "cycle_count"}
    dims = dimension_tables(replay.chain)
    stores = dims["stores"].to_pandas()
    assert stores[["store_id", "region", "country"]].values.tolist() == [
        ["CA_1", "California", "US"],
        ["CA_2", "California", "US"],
    ]
    products = dims["products"].to_pandas().set_index("sku")
    assert products.loc["HOBBIES_1_254", ["category", "sub_category"]].tolist() == ["HOBBIES", "HOBBIES_1"]


def test_every_replayed_receipt_names_an_order_placed_for_it():
    events = _decoded()
    placed = {o["po_id"]: o for o in events["purchase-orders"] if o["kind"] == "placed"}
    received = defaultdict(int)
    for r in events["supplier-shipments"]:
        order = placed[r["po_id"]]  # the planned orders and the expedited ones alike
        assert (order["store_id"], order["sku"]) == (r["store_id"], r["sku"]) and order["ts"] < r["ts"]
        received[r["po_id"]] += r["quantity"]
    assert all(received[p] <= o["quantity"] for p, o in placed.items())
    assert {p[:3] for p in received} == {"PO-", "EXP"}


def test_window_cuts_by_day_index_or_date():
    assert parse_start("d_3") == 2 and parse_start("2011-01-31") == 2 and parse_start(None) == 0
    replay = load_replay(DATA, ReplayWindow(parse_start("d_8"), 5))
    assert replay.n_days == 5 and str(replay.first_day) == "2011-02-05"
    with pytest.raises(ValueError, match="d_1..d_28"):
        load_replay(DATA, ReplayWindow(40, 3))
    with pytest.raises(ValueError, match="day index"):
        parse_start("yesterday")


def test_replayed_events_land_in_the_raw_lake_as_the_ingest_writes_them(settings):
    replay = load_replay(DATA, ReplayWindow(0, 7))
    _, days = replay_days(replay, seed=3)
    versions = write_raw_events(settings, days)

    assert read_partition_versions(settings, "raw/sales") == versions["raw_sales"]
    assert len(versions["raw_sales"]) == 7 and len(versions["raw_price_changes"]) >= 1
    day = "2011-01-29"
    table = pq.read_table(lake_path(settings, f"raw/sales/date={day}"))
    assert {"event_id", "ts", "kafka_partition", "kafka_offset"} <= set(table.column_names)
    m5 = _m5_units()
    assert pc_sum(table["quantity"]) == m5.loc[m5["date"] == day, "units"].sum()
    assert versions["raw_sales"][day] == day_version(table["event_id"].to_pylist())


def pc_sum(column) -> int:
    import pyarrow.compute as pc

    return pc.sum(column).as_py()
