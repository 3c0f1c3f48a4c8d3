"""Build the browser report from the warehouse tables: the same five pages as the Power BI report.

One query per picture (sql/queries/select_report_*.sql) and per headline number (the KPI twins,
sql/queries/select_kpi_*.sql), each in its own short warehouse session, so the report can run while the
live-stock stream or an Airflow task holds the embedded warehouse now and then. Pages switch with CSS
:target (links, no script), so the one file opens anywhere, offline.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pandas as pd

from infra.warehouse import Warehouse, read_sql

PAGES = ("Executive", "Store Manager", "Inventory Analyst", "ML Model Performance", "Alerts")
STYLE = """
body{font-family:DejaVu Sans,Arial,sans-serif;margin:0;color:#222;background:#f6f7f9}
nav{background:#1d2b3a;padding:8px 16px}nav a{color:#fff;margin-right:18px;text-decoration:none}
section.page{display:none;padding:16px 24px}
section.page:target,section.page:has(:target){display:block}
body:not(:has(section.page:target, section.page :target)) #executive{display:block}
.stores-nav a{display:inline-block;margin:0 8px 6px 0;padding:4px 10px;background:#fff;border-radius:4px;
color:#1d2b3a;text-decoration:none;border:1px solid #ccd}
.store{display:none}.store:target{display:block}
.stores:not(:has(.store:target)) .store:first-child{display:block}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.card{background:#fff;border-radius:6px;padding:10px 16px;min-width:150px}
.card b{display:block;font-size:22px}
.figure{margin:10px 0}.figure figcaption{font-size:13px;font-weight:bold;color:#333}
.chart{background:#fff;border-radius:6px;width:100%;max-width:900px;margin:4px 0}
.note{color:#555;font-size:13px;max-width:900px}
table{border-collapse:collapse;background:#fff}
td,th{padding:3px 8px;border-bottom:1px solid #ddd;font-size:12px;text-align:left}
td.number{text-align:right}.negative{color:#c0392b}
.urgent{color:#c00;font-weight:bold}.fail{color:#c00}
"""
# Headline numbers: KPI key -> (label, format); each reads sql/queries/select_kpi_<key>.sql.
KPIS = {
    "revenue_latest_week": ("Revenue (latest week)", "{:,.0f}"),
    "revenue_wow_pct": ("Revenue vs week before", "{:+.1%}"),
    "units_sold_latest_week": ("Units sold (latest week)", "{:,.0f}"),
    "stock_value": ("Stock value at cost", "{:,.0f}"),
    "in_stock_pct": ("In stock", "{:.1%}"),
    "stock_outs": ("Stock-outs", "{:,.0f}"),
    "days_of_cover": ("Days of cover", "{:,.1f}"),
    "weeks_of_supply": ("Weeks of supply", "{:,.1f}"),
    "sell_through_pct": ("Sell-through (28 days)", "{:.1%}"),
    "shrink_units": ("Shrink units (28 days)", "{:,.0f}"),
    "reorder_lines": ("Lines to order, all stores", "{:,.0f}"),
    "recommended_order_value": ("Order value at cost, all stores", "{:,.0f}"),
    "forecast_wape": ("Forecast WAPE (7-day)", "{:.1%}"),
    "forecast_bias": ("Forecast bias (7-day)", "{:+.1%}"),
    "slow_movers_at_risk": ("Slow movers at risk", "{:,.0f}"),
}
LABELS = {
    "store": "Store",
    "region": "Region",
    "product": "Product",
    "sku": "SKU",
    "on_hand": "On hand",
    "predicted_demand": "Forecast, next 7 days",
    "reorder_point": "Reorder point",
    "recommended_order_qty": "Units to order",
    "order_value": "Order value at cost",
    "urgency": "Urgency",
    "stock_out_risk_score": "Stock-out risk",
    "value_at_cost": "Stock at cost",
    "value_at_retail": "Stock at retail",
    "stock_outs": "Stock-outs",
    "median_days_of_cover": "Median days of cover",
    "asset": "Data set",
    "severity": "Severity",
    "evaluated": "Checks",
    "pass_rate": "Passed",
    "failing": "Failing checks",
}


def query(warehouse: Warehouse, name: str, **params) -> pd.DataFrame:
    """Run sql/queries/select_<name>.sql; a table not loaded yet reads as empty, not as an error."""
    try:
        return warehouse.query_df(read_sql(f"queries/select_{name}.sql").format(**params))
    except Exception as error:  # chdb and the server raise different types for an unknown table
        if "UNKNOWN_TABLE" in str(error) or "doesn't exist" in str(error):
            return pd.DataFrame()
        raise


def kpi(warehouse: Warehouse, key: str) -> float:
    """The KPI twin's value (NaN when its tables hold nothing yet)."""
    frame = query(warehouse, f"kpi_{key}")
    value = frame["value"].iloc[0] if not frame.empty else None
    return float(value) if value is not None and not pd.isna(value) else math.nan


def build_report(warehouse: Warehouse, out: Path, days: int = 90) -> Path:
    """Write the report HTML to `out` and return its path."""
    from infra.report import pages  # lazy: pages imports this module's helpers: a cycle at module top

    sections = [
        pages.executive(warehouse, days),
        pages.store_manager(warehouse),
        pages.inventory(warehouse),
        pages.model(warehouse),
        pages.alerts(warehouse),
    ]
    nav = "".join(f'<a href="#{anchor(p)}">{escape(p)}</a>' for p in PAGES)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    html = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>shelfwise report</title>"
        f"<style>{STYLE}</style></head><body><nav>{nav}<span style='color:#9ab;float:right'>{stamp}</span>"
        f"</nav>{''.join(sections)}</body></html>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html)
    return out


def anchor(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower())


def section(page: str, body: str) -> str:
    return f'<section class="page" id="{anchor(page)}"><h2>{escape(page)}</h2>{body}</section>'


def kpi_cards(warehouse: Warehouse, keys: list[str]) -> str:
    """One card per KPI twin, labelled for people, `-` when there is nothing to measure yet."""
    cards = []
    for key in keys:
        label, style = KPIS[key]
        value = kpi(warehouse, key)
        text = style.format(value) if math.isfinite(value) else "-"
        cards.append(f'<div class="card" data-kpi="{key}">{escape(label)}<b>{escape(text)}</b></div>')
    return '<div class="cards">' + "".join(cards) + "</div>"


def cards(items: dict[str, str]) -> str:
    return (
        '<div class="cards">'
        + "".join(f'<div class="card">{escape(k)}<b>{escape(v)}</b></div>' for k, v in items.items())
        + "</div>"
    )


def table(frame: pd.DataFrame, columns: list[str], highlight: str | None = None) -> str:
    """An HTML table with human column labels; numbers right-aligned, negatives in red."""
    if frame.empty:
        return "<p>no data yet</p>"
    head = "".join(f"<th>{escape(LABELS.get(c, c))}</th>" for c in columns)
    rows = []
    for row in frame[columns].itertuples(index=False):
        cells = [_cell(column, value, highlight) for column, value in zip(columns, row, strict=True)]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _cell(column: str, value, highlight: str | None) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        css = ' class="urgent"' if column == highlight and value in ("critical", "high") else ""
        return f"<td{css}>{escape(str(value))}</td>"
    negative = " negative" if value < 0 else ""
    text = f"{value:,.2f}" if isinstance(value, float) and not float(value).is_integer() else f"{value:,.0f}"
    return f'<td class="number{negative}">{text}</td>'
