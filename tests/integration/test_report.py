"""The browser report on a small real warehouse: every page renders its charts in Chromium, without errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from infra.report.build import PAGES, build_report
from infra.settings import Settings
from infra.warehouse import Warehouse, migrate
from tests.browser import chromium

SCREENSHOTS = Path(__file__).resolve().parents[1] / "results" / "report"
DAYS = pd.date_range("2026-03-01", periods=21, freq="D")
STORES = {"S1": ("Leeds", "North"), "S2": ("Bristol", "South West")}
PRODUCTS = {"A": "Oat milk 1l", "B": "Sourdough loaf"}


@pytest.fixture
def warehouse(settings: Settings) -> Warehouse:
    """Three weeks of a two-store chain in the real asset tables."""
    warehouse = Warehouse(settings)
    migrate(warehouse)
    rng = np.random.default_rng(3)
    grid = pd.MultiIndex.from_product(
        [DAYS, list(STORES), list(PRODUCTS)], names=["date", "store_key", "product_key"]
    )
    rows = grid.to_frame(index=False)
    rows["date_key"] = rows["date"].dt.strftime("%Y%m%d").astype("int32")
    rows["sold"] = rng.poisson(8, len(rows)).astype("int32")
    with warehouse.session() as s:
        s.insert_df(
            "dim_store",
            pd.DataFrame(
                {
                    "store_key": list(STORES),
                    "store_id": list(STORES),
                    "name": [v[0] for v in STORES.values()],
                    "region": [v[1] for v in STORES.values()],
                }
            ),
        )
        s.insert_df(
            "dim_product",
            pd.DataFrame(
                {
                    "product_key": list(PRODUCTS),
                    "sku": list(PRODUCTS),
                    "name": list(PRODUCTS.values()),
                    "unit_cost": [0.9, 1.4],
                }
            ),
        )
        s.insert_df(
            "fact_sales",
            rows.assign(
                sale_id=[f"e{i}" for i in range(len(rows))],
                quantity=rows["sold"],
                revenue=rows["sold"] * 2.0,
                cost=rows["sold"] * 1.2,
                profit=rows["sold"] * 0.8,
            )[
                [
                    "sale_id",
                    "date",
                    "date_key",
                    "store_key",
                    "product_key",
                    "quantity",
                    "revenue",
                    "cost",
                    "profit",
                ]
            ],
        )
        s.insert_df(
            "fact_inventory",
            rows.assign(
                closing_on_hand=30,
                value_at_cost=27.0,
                value_at_retail=60.0,
                stock_out=rows["sold"] > 12,
                days_of_cover=3.5,
            ),
        )
        s.insert_df(
            "fact_ml_predictions",
            rows.assign(
                prediction_id=[f"p{i}" for i in range(len(rows))],
                daily_mean=8.0,
                predicted_demand=56.0,
                confidence_low=40.0,
                confidence_high=72.0,
                on_hand=30,
                reorder_point=20.0,
                recommended_order_qty=np.where(rows["store_key"] == "S1", 24, 0).astype("int32"),
                stock_out_risk_score=np.where(rows["product_key"] == "A", 0.7, 0.1),
                urgency=np.where(rows["product_key"] == "A", "urgent", "normal"),
            )[
                [
                    "prediction_id",
                    "date",
                    "date_key",
                    "store_key",
                    "product_key",
                    "daily_mean",
                    "predicted_demand",
                    "confidence_low",
                    "confidence_high",
                    "on_hand",
                    "reorder_point",
                    "recommended_order_qty",
                    "stock_out_risk_score",
                    "urgency",
                ]
            ],
        )
        s.insert_df(
            "dq_results",
            pd.DataFrame(
                {
                    "asset": ["raw_sales", "raw_sales"],
                    "partition": ["2026-03-21"] * 2,
                    "severity": ["block", "warn"],
                    "expectation": ["expect_column_values_to_be_unique(event_id)", "row count in band"],
                    "success": [True, False],
                    "validated_at": [pd.Timestamp("2026-03-21", tz="UTC")] * 2,
                }
            ),
        )
    return warehouse


def test_report_pages_render_with_charts_and_no_console_errors(warehouse: Warehouse, tmp_path: Path):
    path = build_report(warehouse, tmp_path / "report.html")
    html = path.read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for page in PAGES:
        anchor = page.lower().replace(" ", "-")
        dom, console = chromium(
            f"{path.as_uri()}#{anchor}",
            tmp_path / f"profile-{anchor}",
            screenshot=SCREENSHOTS / f"{anchor}.png",
        )
        assert console == [], f"{page}: {console}"
        assert f'<section id="{anchor}">' in dom
        assert (SCREENSHOTS / f"{anchor}.png").stat().st_size > 10_000
    assert html.count('class="series"') >= 4, "revenue/profit and forecast/actual lines"
    assert html.count('class="cell"') == len(STORES) * 4, "a heatmap cell per store and week"
    assert 'class="band"' in html, "the forecast interval"
    assert "Oat milk 1l" in html and 'class="urgent"' in html
    assert "row count in band" in html, "the failing warning shows on the data-quality panel"


def test_report_on_an_empty_warehouse_says_no_data(settings: Settings, tmp_path: Path):
    migrate(Warehouse(settings))
    html = build_report(Warehouse(settings), tmp_path / "empty.html").read_text()
    assert html.count("no data yet") >= 5


@pytest.fixture(autouse=True, scope="module")
def _fresh_screenshots():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
