"""Build the browser report from the warehouse tables: the same five pages as the Power BI report.

One query per picture (files under sql/queries/select_report_*.sql), each in its own short warehouse
session, so the report can run while the live-stock stream or an Airflow task holds the embedded warehouse
now and then.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pandas as pd

from infra.report import svg
from infra.warehouse import Warehouse, read_sql

PAGES = ("Executive", "Store Manager", "Inventory Analyst", "ML Model Performance", "Alerts")
STYLE = """
body{font-family:DejaVu Sans,Arial,sans-serif;margin:0;color:#222;background:#f6f7f9}
nav{background:#1d2b3a;padding:8px 16px}nav a{color:#fff;margin-right:18px;text-decoration:none}
section{display:none;padding:16px 24px}section:target{display:block}
section#executive:not(:target){display:block}section:target~section#executive{display:none}
.cards{display:flex;gap:12px}.card{background:#fff;border-radius:6px;padding:10px 16px;min-width:150px}
.card b{display:block;font-size:22px}
.chart{background:#fff;border-radius:6px;width:100%;max-width:900px;margin:10px 0}
table{border-collapse:collapse;background:#fff}
td,th{padding:3px 8px;border-bottom:1px solid #ddd;font-size:12px}
.urgent{color:#c00;font-weight:bold}.fail{color:#c00}
"""


def query(warehouse: Warehouse, name: str, **params) -> pd.DataFrame:
    """Run sql/queries/select_report_<name>.sql; a table not loaded yet reads as empty, not as an error."""
    try:
        return warehouse.query_df(read_sql(f"queries/select_report_{name}.sql").format(**params))
    except Exception as error:  # chdb and the server raise different types for an unknown table
        if "UNKNOWN_TABLE" in str(error) or "doesn't exist" in str(error):
            return pd.DataFrame()
        raise


def build_report(warehouse: Warehouse, out: Path, days: int = 90) -> Path:
    """Write the report HTML to `out` and return its path."""
    sections = [
        _executive(warehouse, days),
        _store_manager(warehouse),
        _inventory(warehouse),
        _model(warehouse),
        _alerts(warehouse),
    ]
    nav = "".join(f'<a href="#{_anchor(p)}">{escape(p)}</a>' for p in PAGES)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    html = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>shelfwise report</title>"
        f"<style>{STYLE}</style></head><body><nav>{nav}<span style='color:#9ab;float:right'>{stamp}</span>"
        f"</nav>{''.join(sections[1:])}{sections[0]}</body></html>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html)
    return out


def _section(page: str, body: str) -> str:
    return f'<section id="{_anchor(page)}"><h2>{escape(page)}</h2>{body}</section>'


def _anchor(page: str) -> str:
    return page.lower().replace(" ", "-")


def _cards(items: dict[str, str]) -> str:
    return (
        '<div class="cards">'
        + "".join(f'<div class="card">{escape(k)}<b>{escape(v)}</b></div>' for k, v in items.items())
        + "</div>"
    )


def _table(frame: pd.DataFrame, columns: list[str], highlight: str | None = None) -> str:
    if frame.empty:
        return "<p>no data yet</p>"
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    rows = []
    for row in frame[columns].itertuples(index=False):
        cells = []
        for column, value in zip(columns, row, strict=True):
            text = f"{value:,.2f}" if isinstance(value, float) else escape(str(value))
            css = ' class="urgent"' if highlight and column == highlight and value == "urgent" else ""
            cells.append(f"<td{css}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _executive(warehouse: Warehouse, days: int) -> str:
    daily = query(warehouse, "revenue_by_day", days=days)
    weeks = query(warehouse, "store_week_revenue", days=days)
    labels = [str(d)[:10] for d in daily.get("date", [])]
    cards = _cards(
        {
            "revenue, last day": f"{daily['revenue'].iloc[-1]:,.0f}" if not daily.empty else "-",
            f"revenue, {days} days": f"{daily['revenue'].sum():,.0f}" if not daily.empty else "-",
            "units, last day": f"{daily['units'].iloc[-1]:,.0f}" if not daily.empty else "-",
        }
    )
    line = (
        svg.line_chart(
            labels,
            {"revenue": daily.get("revenue", []), "profit": daily.get("profit", [])},
            "Revenue and profit by day",
        )
        if not daily.empty
        else svg.empty("Revenue by day")
    )
    heat = svg.empty("Revenue by store and week")
    if not weeks.empty:
        weeks["week"] = weeks["week"].astype(str).str[:10]
        values = {(r.store, r.week): float(r.revenue) for r in weeks.itertuples()}
        heat = svg.heatmap(
            list(dict.fromkeys(weeks["store"])),
            sorted(set(weeks["week"])),
            values,
            "Revenue by store and week",
        )
    return _section("Executive", cards + line + "<h3>Store performance by week</h3>" + heat)


def _store_manager(warehouse: Warehouse) -> str:
    latest = query(warehouse, "latest_predictions", limit=40)
    columns = [
        "store",
        "product",
        "on_hand",
        "predicted_demand",
        "reorder_point",
        "recommended_order_qty",
        "urgency",
    ]
    reorder = latest[latest["recommended_order_qty"] > 0] if not latest.empty else latest
    return _section("Store Manager", "<h3>Reorder list</h3>" + _table(reorder, columns, highlight="urgency"))


def _inventory(warehouse: Warehouse) -> str:
    stock = query(warehouse, "stock_by_store")
    bars = svg.bar_chart(
        list(stock.get("store", [])),
        [float(v) for v in stock.get("value_at_cost", [])],
        "Stock value at cost by store",
    )
    columns = ["store", "value_at_cost", "value_at_retail", "stock_outs", "median_days_of_cover"]
    return _section("Inventory Analyst", bars + _table(stock, columns))


def _model(warehouse: Warehouse) -> str:
    frame = query(warehouse, "forecast_vs_actual")
    if frame.empty:
        return _section("ML Model Performance", svg.empty("Forecast against units sold"))
    frame = frame.fillna(0.0)
    known = frame[frame["actual"] > 0]
    wape = (known["forecast"] - known["actual"]).abs().sum() / max(known["actual"].sum(), 1.0)
    bias = (known["forecast"].sum() - known["actual"].sum()) / max(known["actual"].sum(), 1.0)
    chart = svg.line_chart(
        [str(d)[:10] for d in frame["date"]],
        {"forecast": frame["forecast"], "actual": frame["actual"]},
        "Daily forecast with interval against units sold",
        band=(frame["low"], frame["high"]),
    )
    return _section(
        "ML Model Performance", _cards({"WAPE (chain, daily)": f"{wape:.1%}", "bias": f"{bias:+.1%}"}) + chart
    )


def _alerts(warehouse: Warehouse) -> str:
    latest = query(warehouse, "latest_predictions", limit=25)
    quality = query(warehouse, "data_quality")
    risk = _table(
        latest, ["store", "product", "on_hand", "stock_out_risk_score", "urgency"], highlight="urgency"
    )
    if not quality.empty:
        quality["pass_rate"] = quality["passed"] / quality["evaluated"]
        quality["failing"] = quality["failing"].map(lambda names: ", ".join(names) or "-")
    dq = _table(quality, ["asset", "severity", "evaluated", "pass_rate", "failing"])
    return _section("Alerts", "<h3>Stock-out risk</h3>" + risk + "<h3>Data quality</h3>" + dq)
