"""Dashboard aggregates are rebuilt per replaced month and always equal a straight query over the facts."""

from __future__ import annotations

import pandas as pd

from infra.settings import Settings
from infra.warehouse import Warehouse, migrate
from infra.warehouse_aggregates import months_of, stage_aggregates
from infra.warehouse_swap import atomic_load

DAYS = ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]


def sales(days: list[str], units: int) -> pd.DataFrame:
    rows = [(d, s, p) for d in days for s in ("S1", "S2") for p in ("A", "B")]
    frame = pd.DataFrame(rows, columns=["date", "store_key", "product_key"])
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    frame["date_key"] = pd.to_datetime(frame["date"]).dt.strftime("%Y%m%d").astype("int32")
    frame["sale_id"] = [f"{r.date}-{r.store_key}-{r.product_key}" for r in frame.itertuples()]
    frame["basket_id"] = frame["sale_id"]
    return frame.assign(quantity=units, revenue=units * 2.5, cost=units * 1.5, profit=units * 1.0)


def test_aggregates_follow_a_month_replacement(settings: Settings):
    warehouse = Warehouse(settings)
    migrate(warehouse)
    with warehouse.session() as s:
        s.insert_df("dim_store", pd.DataFrame({"store_key": ["S1", "S2"], "region": ["North", "East"]}))
        s.insert_df("fact_sales", sales(DAYS, 3))
        with atomic_load(s, holder_is_sole=True, wait_s=0) as swap:
            assert stage_aggregates(swap, {"fact_sales"}, months_of(DAYS)) == [
                "daily_sales_summary",
                "product_performance",
            ]
        # a reload of March with other quantities, staged in the load: the aggregates read the staged facts
        with atomic_load(s, holder_is_sole=True, wait_s=0) as swap:
            staged = swap.stage("fact_sales", {"202603"})
            s.insert_df(staged, sales(DAYS[2:], 5))
            stage_aggregates(swap, {"fact_sales"}, {202603})

    summary = warehouse.query_df(
        "SELECT toString(date) AS day, sum(units) AS units, sum(revenue) AS revenue, "
        "any(region) != '' AS has_region "
        "FROM daily_sales_summary GROUP BY day ORDER BY day"
    )
    direct = warehouse.query_df(
        "SELECT toString(date) AS day, sum(quantity) AS units, sum(revenue) AS revenue FROM fact_sales "
        "GROUP BY day ORDER BY day"
    )
    assert summary[["day", "units", "revenue"]].to_dict("records") == direct.to_dict("records")
    assert summary["units"].tolist() == [12, 12, 20, 20] and summary["has_region"].all()
    top = warehouse.query_df(
        "SELECT product_key, sum(units) AS u, max(stores) AS stores FROM product_performance "
        "GROUP BY product_key ORDER BY product_key"
    )
    assert top.to_dict("records") == [
        {"product_key": "A", "u": 32, "stores": 2},
        {"product_key": "B", "u": 32, "stores": 2},
    ]


def test_a_month_emptied_by_a_reload_disappears_from_the_aggregates(settings: Settings):
    warehouse = Warehouse(settings)
    migrate(warehouse)
    with warehouse.session() as s:
        s.insert_df("fact_sales", sales(DAYS, 3))
        with atomic_load(s, holder_is_sole=True, wait_s=0) as swap:
            stage_aggregates(swap, {"fact_sales"}, months_of(DAYS))
        with atomic_load(s, holder_is_sole=True, wait_s=0) as swap:
            swap.stage("fact_sales", {"202602"})  # February reloaded with no rows
            stage_aggregates(swap, {"fact_sales"}, {202602})
    days = warehouse.query_df("SELECT DISTINCT toString(date) AS d FROM daily_sales_summary ORDER BY d")["d"]
    assert days.tolist() == DAYS[2:]
