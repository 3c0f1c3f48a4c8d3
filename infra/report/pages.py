"""The report's five pages, each one function from the warehouse to an HTML section."""

from __future__ import annotations

from html import escape

from infra.report import svg
from infra.report.build import anchor, cards, kpi_cards, query, section, table
from infra.warehouse import Warehouse

REORDER_COLUMNS = [
    "product",
    "sku",
    "on_hand",
    "predicted_demand",
    "reorder_point",
    "recommended_order_qty",
    "order_value",
    "urgency",
]


def executive(warehouse: Warehouse, days: int) -> str:
    daily = query(warehouse, "report_revenue_by_day", days=days)
    weeks = query(warehouse, "report_store_week_revenue", days=days)
    headline = kpi_cards(
        warehouse,
        ["revenue_latest_week", "revenue_wow_pct", "units_sold_latest_week", "stock_value", "in_stock_pct"],
    )
    line = (
        svg.line_chart(
            [str(d)[:10] for d in daily["date"]],
            {"net revenue": daily["revenue"], "profit": daily["profit"]},
            f"Net revenue and profit by day, last {days} days",
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
            "Net revenue by store and week",
        )
    return section("Executive", headline + line + "<h3>Store performance by week</h3>" + heat)


def store_manager(warehouse: Warehouse) -> str:
    """A store selector (links) and one block per store with its reorder list; CSS shows the chosen one."""
    stores = query(warehouse, "report_stores")
    lines = query(warehouse, "report_reorder_by_store")
    headline = kpi_cards(warehouse, ["reorder_lines", "recommended_order_value"])
    if stores.empty:
        return section("Store Manager", headline + "<p>no data yet</p>")
    links, blocks = [], []
    for store in stores.itertuples():
        own = lines[lines["store_key"] == store.store_key] if not lines.empty else lines
        target = f"store-{anchor(store.store_key)}"
        links.append(f'<a href="#{target}">{escape(store.store)} · {len(own)} to order</a>')
        summary = cards(
            {
                "Lines to order": f"{len(own):,}",
                "Order value at cost": f"{own['order_value'].sum():,.0f}" if len(own) else "0",
            }
        )
        body = (
            table(own, REORDER_COLUMNS, highlight="urgency") if len(own) else "<p>nothing to order today</p>"
        )
        blocks.append(
            f'<div class="store" id="{target}"><h3>{escape(store.store)} · {escape(store.region)}</h3>'
            f"{summary}{body}</div>"
        )
    selector = '<div class="stores-nav">Store: ' + "".join(links) + "</div>"
    return section("Store Manager", headline + selector + '<div class="stores">' + "".join(blocks) + "</div>")


def inventory(warehouse: Warehouse) -> str:
    stock = query(warehouse, "report_stock_by_store")
    shrink = query(warehouse, "report_shrink_by_store")
    headline = kpi_cards(
        warehouse, ["stock_outs", "days_of_cover", "weeks_of_supply", "sell_through_pct", "shrink_units"]
    )
    bars = svg.bar_chart(
        list(stock.get("store", [])),
        [float(v) for v in stock.get("value_at_cost", [])],
        "Stock value at cost by store",
    )
    losses = svg.bar_chart(
        list(shrink.get("store", [])),
        [float(v) for v in shrink.get("shrink_units", [])],
        "Shrink units by store, last 28 days (negative: counts found more than the book)",
    )
    columns = ["store", "value_at_cost", "value_at_retail", "stock_outs", "median_days_of_cover"]
    return section(
        "Inventory Analyst",
        headline + bars + table(stock, columns) + "<h3>Shrink at stock counts</h3>" + losses,
    )


def model(warehouse: Warehouse) -> str:
    """Forecasts against what sold on the days they forecast (view forecast_vs_actual)."""
    chain = query(warehouse, "report_forecast_vs_actual")
    headline = kpi_cards(warehouse, ["forecast_wape", "forecast_bias"])
    if chain.empty:
        return section("ML Model Performance", headline + svg.empty("Forecast against units sold"))
    coverage = query(warehouse, "report_interval_coverage")
    headline += cards(
        {
            "Actuals inside their 90% interval": f"{coverage['coverage'].iloc[0]:.0%}",
            "Forecasts with 7 days of actuals": f"{int(chain['pairs'].sum()):,}",
        }
    )
    labels = [str(d)[:10] for d in chain["target_start"]]
    totals = svg.line_chart(
        labels,
        {"forecast, 7-day total": chain["forecast"], "units sold, same 7 days": chain["actual"]},
        "Chain: 7-day forecast totals against units sold in the same 7 days, by first day forecast",
    )
    series = query(warehouse, "report_forecast_series")
    name = f"{series['store'].iloc[0]} · {series['product'].iloc[0]}"
    one = svg.line_chart(
        [str(d)[:10] for d in series["target_start"]],
        {"forecast, 7-day total": series["forecast"], "units sold, same 7 days": series["actual"]},
        f"{name}: 7-day forecast with its 90% interval against units sold",
        band=(series["low"], series["high"]),
    )
    note = (
        '<p class="note">A forecast made after the close of day D is the total of units sold over D+1..D+7; '
        "each point is drawn at D+1 against the units sold on those same 7 days, and only where all 7 are "
        "loaded. The 90% interval belongs to one store × product's 7-day total; intervals do not add up "
        "across stores and products, so the chain chart has none.</p>"
    )
    return section(
        "ML Model Performance",
        headline + note + "<h3>Chain</h3>" + totals + f"<h3>Busiest series: {escape(name)}</h3>" + one,
    )


def alerts(warehouse: Warehouse) -> str:
    latest = query(warehouse, "report_latest_predictions", limit=25)
    if not latest.empty:
        latest["stock_out_risk_score"] = latest["stock_out_risk_score"].map("{:.0%}".format)
    quality = query(warehouse, "report_data_quality")
    risk = table(
        latest, ["store", "product", "on_hand", "stock_out_risk_score", "urgency"], highlight="urgency"
    )
    if not quality.empty:
        quality["pass_rate"] = (quality["passed"] / quality["evaluated"]).map("{:.0%}".format)
        quality["failing"] = quality["failing"].map(lambda names: ", ".join(names) or "-")
    dq = table(quality, ["asset", "severity", "evaluated", "pass_rate", "failing"])
    headline = kpi_cards(warehouse, ["slow_movers_at_risk"])
    return section("Alerts", headline + "<h3>Stock-out risk</h3>" + risk + "<h3>Data quality</h3>" + dq)
