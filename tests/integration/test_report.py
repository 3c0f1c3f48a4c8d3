"""The browser report on a small real warehouse, looked at in headless Chromium.

Three weeks of a two-store, two-region chain go into the real asset tables; every page (and a second
store's page of the store selector) is rendered and screenshotted, with no console error. What the pages
draw is checked against outside references: the forecast series against a pandas pairing of the inserted
forecasts with the inserted units sold, every headline number against its KPI twin, each store's reorder
list against the inserted recommendations.
"""

from __future__ import annotations

import math
import re
import shutil
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from infra.report.build import KPIS, PAGES, build_report, kpi
from infra.settings import Settings
from infra.warehouse import Warehouse, migrate
from tests.browser import chromium

SCREENSHOTS = Path(__file__).resolve().parents[1] / "results" / "report"
DAYS = pd.date_range("2026-03-02", periods=21, freq="D")
STORES = {"S1": ("Leeds", "North"), "S2": ("Bristol", "South West")}
PRODUCTS = {"A": "Oat milk 1l", "B": "Sourdough loaf"}
COUNT_VARIANCE = {"S1": -2, "S2": 1}  # Leeds loses units at counts, Bristol finds a surplus
ORDERS = {("S1", "A"): 24, ("S2", "B"): 12}


def chain_rows() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    grid = pd.MultiIndex.from_product(
        [DAYS, list(STORES), list(PRODUCTS)], names=["date", "store_key", "product_key"]
    )
    rows = grid.to_frame(index=False)
    rows["date_key"] = rows["date"].dt.strftime("%Y%m%d").astype("int32")
    rows["sold"] = rng.poisson(8, len(rows)).astype("int32")
    rows["predicted_demand"] = rng.normal(56, 6, len(rows)).round(1)
    return rows


def inventory(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.drop(columns="predicted_demand").assign(
        opening_on_hand=30,
        received=6,
        closing_on_hand=30,
        count_variance=rows["store_key"].map(COUNT_VARIANCE).astype("int32"),
        value_at_cost=27.0,
        value_at_retail=60.0,
        stock_out=rows["sold"] > 12,
        days_of_cover=3.5,
    )


def predictions(rows: pd.DataFrame) -> pd.DataFrame:
    keys = list(zip(rows["store_key"], rows["product_key"], strict=True))
    return rows.drop(columns="sold").assign(
        prediction_id=[f"p{i}" for i in range(len(rows))],
        forecast_source="baseline_ma28",
        daily_mean=rows["predicted_demand"] / 7,
        confidence_low=rows["predicted_demand"] - 15,
        confidence_high=rows["predicted_demand"] + 15,
        on_hand=30,
        reorder_point=20.0,
        recommended_order_qty=[ORDERS.get(k, 0) for k in keys],
        stock_out_risk_score=np.where(rows["product_key"] == "A", 0.7, 0.1),
        urgency=np.where(rows["product_key"] == "A", "critical", "low"),
    )


def sales(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[["date", "date_key", "store_key", "product_key"]].assign(
        sale_id=[f"e{i}" for i in range(len(rows))],
        kind="sale",
        quantity=rows["sold"],
        revenue=rows["sold"] * 2.0,
        cost=rows["sold"] * 1.2,
        profit=rows["sold"] * 0.8,
    )


def load_chain(settings: Settings, stores: dict, products: dict, category: str = "") -> Warehouse:
    """Three weeks of a two-store chain in the real asset tables, named by `stores` and `products`."""
    warehouse = Warehouse(settings)
    migrate(warehouse)
    rows = chain_rows()
    stores = pd.DataFrame(
        {
            "store_key": list(stores),
            "store_id": list(stores),
            "name": [v[0] for v in stores.values()],
            "region": [v[1] for v in stores.values()],
        }
    )
    products = pd.DataFrame(
        {
            "product_key": list(products),
            "sku": list(products),
            "name": list(products.values()),
            "category": category,
            "unit_cost": [0.9, 1.4],
        }
    )
    quality = pd.DataFrame(
        {
            "asset": ["raw_sales", "raw_sales"],
            "partition": ["2026-03-22"] * 2,
            "severity": ["block", "warn"],
            "expectation": ["expect_column_values_to_be_unique(event_id)", "row count in band"],
            "success": [True, False],
            "validated_at": [pd.Timestamp("2026-03-22", tz="UTC")] * 2,
        }
    )
    with warehouse.session() as s:
        s.insert_df("dim_store", stores)
        s.insert_df("dim_product", products)
        s.insert_df("fact_sales", sales(rows))
        s.insert_df("fact_inventory", inventory(rows))
        s.insert_df("fact_ml_predictions", predictions(rows))
        s.insert_df("dq_results", quality)
    return warehouse


@pytest.fixture
def warehouse(settings: Settings) -> Warehouse:
    return load_chain(settings, STORES, PRODUCTS)


def expected_forecast_pairs() -> pd.DataFrame:
    """pandas: each day's forecast totals against units sold on the 7 days after it, all 7 present."""
    rows = chain_rows().set_index("date")
    chain = rows.groupby("date")[["predicted_demand", "sold"]].sum()
    pairs = [
        (
            day + timedelta(days=1),
            chain.at[day, "predicted_demand"],
            chain.loc[day + timedelta(days=1) : day + timedelta(days=7), "sold"].sum(),
        )
        for day in chain.index
        if day + timedelta(days=7) <= chain.index.max()
    ]
    return pd.DataFrame(pairs, columns=["target_start", "forecast", "actual"])


def busiest_series() -> pd.DataFrame:
    """The store x product rows whose complete 7-day actuals add up to the most (first by key on a tie)."""
    rows = chain_rows()
    totals = {
        key: sum(group["sold"].iloc[i + 1 : i + 8].sum() for i in range(len(DAYS) - 7))
        for key, group in rows.groupby(["store_key", "product_key"])
    }
    top = max(totals.values())
    store, product = min(key for key, total in totals.items() if total == top)
    return rows[(rows["store_key"] == store) & (rows["product_key"] == product)].reset_index(drop=True)


def drawn_series(html: str, name: str) -> list[list[float]]:
    """The values of every line named `name` the report draws, in page order."""
    found = re.findall(rf'data-name="{re.escape(name)}" data-values="([^"]*)"', html)
    return [[float(v) for v in values.split(",")] for values in found]


def test_report_pages_render_and_read_well(warehouse: Warehouse, tmp_path: Path):
    path = build_report(warehouse, tmp_path / "report.html")
    html = path.read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html, "self-contained: nothing fetched"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for target in [*(p.lower().replace(" ", "-") for p in PAGES), "store-s2"]:
        dom, console = chromium(
            f"{path.as_uri()}#{target}",
            tmp_path / f"profile-{target}",
            screenshot=SCREENSHOTS / f"{target}.png",
        )
        assert console == [], f"{target}: {console}"
        assert f'id="{target}"' in dom
        assert (SCREENSHOTS / f"{target}.png").stat().st_size > 10_000
    assert html.count('class="cell"') == len(STORES) * 3, "a heatmap cell per store and week"
    for column in ("recommended_order_qty", "predicted_demand", "value_at_cost", "stock_out_risk_score"):
        assert f">{column}<" not in html, f"raw column name {column} shown"
    assert ">Units to order<" in html and ">Forecast, next 7 days<" in html


def test_forecast_page_draws_target_day_pairs_and_a_true_interval(warehouse: Warehouse, tmp_path: Path):
    html = build_report(warehouse, tmp_path / "report.html").read_text()
    expected = expected_forecast_pairs()
    forecast, one_forecast = drawn_series(html, "forecast, 7-day total")
    actual, one_actual = drawn_series(html, "units sold, same 7 days")
    assert forecast == pytest.approx(expected["forecast"].tolist(), rel=1e-5)
    assert actual == pytest.approx(expected["actual"].tolist())
    assert len(actual) == len(DAYS) - 7, "only forecasts whose 7 days all sold are drawn"
    assert html.count('class="band"') == 1, "the interval is drawn for one series only, never summed"
    own = busiest_series()
    assert one_forecast == pytest.approx(own["predicted_demand"][: len(DAYS) - 7].tolist(), rel=1e-5)
    assert one_actual == [float(own["sold"][i + 1 : i + 8].sum()) for i in range(len(DAYS) - 7)]
    assert "7-day forecast totals against units sold in the same 7 days" in html


def test_headline_numbers_are_the_kpi_twins(warehouse: Warehouse, tmp_path: Path):
    html = build_report(warehouse, tmp_path / "report.html").read_text()
    shown = dict(re.findall(r'data-kpi="(\w+)">[^<]*<b>([^<]*)</b>', html))
    assert set(shown) == set(KPIS), "every KPI has a card"
    for key, (_, style) in KPIS.items():
        value = kpi(warehouse, key)
        assert shown[key] == (style.format(value) if math.isfinite(value) else "-"), key
    assert shown["stock_value"] == f"{27.0 * len(STORES) * len(PRODUCTS):,.0f}"
    assert shown["shrink_units"] == f"{-len(DAYS) * sum(COUNT_VARIANCE.values()) * len(PRODUCTS):,.0f}"


def test_each_store_has_its_own_reorder_list_and_negatives_draw_left(warehouse: Warehouse, tmp_path: Path):
    html = build_report(warehouse, tmp_path / "report.html").read_text()
    blocks = {
        m.group(1): m.group(2)
        for m in re.finditer(
            r'<div class="store" id="store-(\w+)">(.*?)(?=<div class="store"|</section>)', html, re.S
        )
    }
    assert sorted(blocks) == ["s1", "s2"], "one section per store"
    for (store, product), units in ORDERS.items():
        block = blocks[store.lower()]
        assert PRODUCTS[product] in block and f">{units}<" in block
        others = [name for key, name in PRODUCTS.items() if (store, key) not in ORDERS]
        assert not any(name in block for name in others), f"{store} lists another store's lines"
        assert f'href="#store-{store.lower()}"' in html
    bars = re.findall(r'<rect class="bar" data-value="([-\d.e+]+)" x="([\d.]+)"[^>]*fill="([^"]+)"', html)
    loss, surplus = (-len(DAYS) * COUNT_VARIANCE[s] * len(PRODUCTS) for s in ("S1", "S2"))
    drawn = {float(v): (float(x), fill) for v, x, fill in bars}
    assert drawn[surplus][0] < drawn[loss][0] and drawn[surplus][1] != drawn[loss][1], "surplus left, in red"


def test_report_on_an_empty_warehouse_says_no_data(settings: Settings, tmp_path: Path):
    migrate(Warehouse(settings))
    html = build_report(Warehouse(settings), tmp_path / "empty.html").read_text()
    assert html.count("no data yet") >= 5


SCRIPT, QUOTES, RTL, EMOJI = "<script>alert(1)</script>", "\"quoted\" & 'single'", "\u202egnp.exe", "🛒🥫"
HOSTILE_STORES = {"S1": (f"{SCRIPT} {QUOTES}", f"{QUOTES} <i>North</i>"), "S2": (QUOTES, f"{RTL} {EMOJI}")}
HOSTILE_PRODUCTS = {"A": f"{RTL} {QUOTES}", "B": f"{EMOJI} {SCRIPT} {QUOTES}"}


class Page(HTMLParser):
    """Every element, attribute value and text node of a page, entities decoded as a browser does."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.texts: dict[str, list[str]] = {}
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]

    def handle_data(self, data):
        self.texts.setdefault(self.tags[-1] if self.tags else "", []).append(data)

    def text_nodes(self) -> list[str]:
        return [t for texts in self.texts.values() for t in texts]


def test_hostile_names_render_as_text(settings: Settings, tmp_path: Path):
    """Store, region and product names made of markup, quotes, an RTL override and emoji come out as the
    same characters in text and attributes, in the file and in the DOM Chromium builds from it."""
    load_chain(settings, HOSTILE_STORES, HOSTILE_PRODUCTS, category=SCRIPT)
    path = build_report(Warehouse(settings), tmp_path / "report.html")
    own = busiest_series().iloc[0]
    busiest = f"{HOSTILE_STORES[own['store_key']][0]} · {HOSTILE_PRODUCTS[own['product_key']]}"
    for source in ("file", "Chromium's DOM"):  # the file first: a live alert() would hang Chromium
        if source == "file":
            html = path.read_text()
        else:
            html, console = chromium(path.as_uri(), tmp_path / "profile")
            assert console == []
        page = Page(html)
        assert "script" not in page.tags and not [a for a, _ in page.attributes if a.startswith("on")]
        texts = page.text_nodes()
        assert not [t for t in texts if "&lt;" in t or "&amp;" in t or "&quot;" in t], "escaped twice"
        for key, (store, region) in HOSTILE_STORES.items():
            assert texts.count(store) >= 3, f"{store!r}: a table cell and two chart labels"
            assert f"{store} · {region}" in page.texts["h3"], f"{key}'s reorder list heading"
        for product in HOSTILE_PRODUCTS.values():
            assert product in page.texts["td"], f"{product!r} in a reorder or risk table"
        assert f"Busiest series: {busiest}" in page.texts["h3"]
        assert ("aria-label", f"{busiest}: 7-day forecast with its 90% interval against units sold") in (
            page.attributes
        )


@pytest.fixture(autouse=True, scope="module")
def _fresh_screenshots():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
