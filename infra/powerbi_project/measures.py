"""The model's DAX measures, per home table.

Each KPI measure has a SQL twin (sql/queries/select_kpi_<key>.sql) computing the same number on ClickHouse:
snapshots anchor on the last date that HAS data (never the calendar's end, 2035-12-31), windows are the 28
days ending on that date, weeks are the latest complete Monday..Sunday week. "Latest" dates are chain-wide
(store and product filters removed, the viewer's row-level security and any date slicer kept), so every
store in a table is read on the same day. Working measures (no twin) exist only to fill a chart or a list.
"""

from __future__ import annotations

from infra.powerbi_project.spec import Measure

COUNT, UNITS, MONEY, PERCENT, DAYS, DATE = "#,0", "#,0", "#,0.00", "0.0%", "0.0", "yyyy-mm-dd"
NOT_KPI = "Working measure (no SQL twin): "


def _latest(table: str) -> str:
    return f"CALCULATE(MAX({table}[date]), REMOVEFILTERS(dim_store), REMOVEFILTERS(dim_product))"


def _on_latest(helper: str, table: str, expression: str, *filters: str) -> str:
    conditions = "".join(f", {f}" for f in (f"{table}[date] = latest", *filters))
    return f"VAR latest = [{helper}]\nRETURN CALCULATE({expression}{conditions})"


def _window(expression: str) -> str:
    """`expression` over the 28 days ending on the latest inventory date (date filters replaced)."""
    return (
        f"CALCULATE({expression}, REMOVEFILTERS(dim_date), "
        "fact_inventory[date] > latest - 28, fact_inventory[date] <= latest)"
    )


def _week(expression: str, weeks_back: int = 0) -> str:
    """`expression` over a Monday..Sunday week: 0 = the latest complete one, 1 = the week before."""
    end = "week_end" + (f" - {7 * weeks_back}" if weeks_back else "")
    return (
        f"CALCULATE({expression}, REMOVEFILTERS(dim_date), "
        f"fact_sales[date] > week_end - {7 * (weeks_back + 1)}, fact_sales[date] <= {end})"
    )


_LATEST_WEEK = (
    "VAR latest = [Latest Sales Date]\n"
    "VAR week_end = latest - MOD(WEEKDAY(latest, 2), 7)  -- the last Sunday on or before it\n"
)
_NET = " Net of returns (returns are negative lines), as the dashboards' daily_sales_summary."

INVENTORY = (
    Measure(
        "Latest Inventory Date",
        _latest("fact_inventory"),
        DATE,
        NOT_KPI + "the last date fact_inventory has data for, chain-wide.",
    ),
    Measure(
        "Stock Value",
        _on_latest("Latest Inventory Date", "fact_inventory", "SUM(fact_inventory[value_at_cost])"),
        MONEY,
        "Stock held at cost on the latest inventory date.",
        twin="stock_value",
    ),
    Measure(
        "Stock-outs",
        _on_latest(
            "Latest Inventory Date",
            "fact_inventory",
            "COUNTROWS(fact_inventory)",
            "fact_inventory[stock_out] = TRUE()",
        ),
        COUNT,
        "Store x product rows out of stock at the close of the latest inventory date.",
        twin="stock_outs",
    ),
    Measure(
        "In-Stock %",
        "VAR latest = [Latest Inventory Date]\n"
        "RETURN DIVIDE(\n"
        "    CALCULATE(COUNTROWS(fact_inventory), fact_inventory[date] = latest, "
        "fact_inventory[stock_out] = FALSE()),\n"
        "    CALCULATE(COUNTROWS(fact_inventory), fact_inventory[date] = latest))",
        PERCENT,
        "Share of store x product rows not out of stock on the latest inventory date.",
        twin="in_stock_pct",
    ),
    Measure(
        "Days of Cover",
        _on_latest("Latest Inventory Date", "fact_inventory", "AVERAGE(fact_inventory[days_of_cover])"),
        DAYS,
        "Mean days of cover on the latest inventory date over the rows that have one (AVERAGE skips blanks).",
        twin="days_of_cover",
    ),
    Measure(
        "Weeks of Supply",
        "VAR latest = [Latest Inventory Date]\n"
        "VAR on_hand = CALCULATE(SUM(fact_inventory[closing_on_hand]), fact_inventory[date] = latest)\n"
        f"VAR sold = {_window('SUM(fact_inventory[sold])')}\n"
        "RETURN DIVIDE(on_hand, sold / 4)",
        "0.0",
        "Units on hand on the latest inventory date over mean weekly units sold in the 28-day window.",
        twin="weeks_of_supply",
    ),
    Measure(
        "Sell-through %",
        "VAR latest = [Latest Inventory Date]\n"
        f"VAR sold = {_window('SUM(fact_inventory[sold])')}\n"
        "VAR opening = CALCULATE(SUM(fact_inventory[opening_on_hand]), REMOVEFILTERS(dim_date), "
        "fact_inventory[date] = latest - 27)\n"
        f"VAR received = {_window('SUM(fact_inventory[received])')}\n"
        "RETURN DIVIDE(sold, opening + received)",
        PERCENT,
        "Units sold in the 28-day window over opening stock on its first day plus units received in it.",
        twin="sell_through_pct",
    ),
    Measure(
        "Shrink Units",
        f"VAR latest = [Latest Inventory Date]\nRETURN -{_window('SUM(fact_inventory[count_variance])')}",
        UNITS,
        "Net units lost at stock counts in the 28-day window (count_variance is counted - book; "
        "positive = loss).",
        twin="shrink_units",
    ),
    Measure(
        "Stock-out Hours",
        _on_latest(
            "Latest Inventory Date",
            "fact_inventory",
            "SUM(fact_inventory[stock_out_hours])",
            "fact_inventory[stock_out] = TRUE()",
        ),
        "0.0",
        NOT_KPI + "hours out of stock on the latest inventory date, only for rows out of stock at close "
        "(the stock-out list).",
    ),
)

SALES = (
    Measure(
        "Latest Sales Date", _latest("fact_sales"), DATE, NOT_KPI + "the last date with sales, chain-wide."
    ),
    Measure(
        "Revenue (Latest Week)",
        _LATEST_WEEK + f"RETURN {_week('SUM(fact_sales[revenue])')}",
        MONEY,
        "Revenue over the latest complete Monday..Sunday week." + _NET,
        twin="revenue_latest_week",
    ),
    Measure(
        "Revenue WoW %",
        _LATEST_WEEK
        + f"VAR this_week = {_week('SUM(fact_sales[revenue])')}\n"
        + f"VAR week_before = {_week('SUM(fact_sales[revenue])', 1)}\n"
        + "RETURN DIVIDE(this_week - week_before, week_before)",
        PERCENT,
        "Change of revenue from the week before to the latest complete week, as a share of the week before."
        + _NET,
        twin="revenue_wow_pct",
    ),
    Measure(
        "Units Sold (Latest Week)",
        _LATEST_WEEK + f"RETURN {_week('SUM(fact_sales[quantity])')}",
        UNITS,
        "Units over the latest complete Monday..Sunday week." + _NET,
        twin="units_sold_latest_week",
    ),
    Measure(
        "Net Revenue",
        "SUM(fact_sales[revenue])",
        MONEY,
        NOT_KPI + "revenue in the filter context (a day, a region), net of returns; charts by date.",
    ),
)

_REORDER = ("Latest Prediction Date", "fact_ml_predictions")
_HAS_ORDER = "fact_ml_predictions[recommended_order_qty] > 0"
_ORDER_VALUE = (
    "SUMX(fact_ml_predictions, fact_ml_predictions[recommended_order_qty] * RELATED(dim_product[unit_cost]))"
)

PREDICTIONS = (
    Measure(
        "Latest Prediction Date",
        _latest("fact_ml_predictions"),
        DATE,
        NOT_KPI + "the last date with reorder recommendations, chain-wide.",
    ),
    Measure(
        "Reorder Lines",
        _on_latest(*_REORDER, "COUNTROWS(fact_ml_predictions)", _HAS_ORDER),
        COUNT,
        "Store x product recommendations with an order to place on the latest prediction date.",
        twin="reorder_lines",
    ),
    Measure(
        "Recommended Order Value",
        _on_latest(*_REORDER, _ORDER_VALUE),
        MONEY,
        "Recommended order units on the latest prediction date at the product's unit cost.",
        twin="recommended_order_value",
    ),
    Measure(
        "Order Units",
        _on_latest(*_REORDER, "SUM(fact_ml_predictions[recommended_order_qty])", _HAS_ORDER),
        UNITS,
        NOT_KPI + "units to order on the latest prediction date (blank where nothing is to be ordered).",
    ),
    Measure(
        "Order Value",
        _on_latest(*_REORDER, _ORDER_VALUE, _HAS_ORDER),
        MONEY,
        NOT_KPI + "the order's value at unit cost, latest prediction date, order lines only.",
    ),
    Measure(
        "On Hand at Prediction",
        _on_latest(*_REORDER, "SUM(fact_ml_predictions[on_hand])", _HAS_ORDER),
        UNITS,
        NOT_KPI + "units on hand when the order was recommended, order lines only.",
    ),
    Measure(
        "Forecast Units (Next 7 Days)",
        _on_latest(*_REORDER, "SUM(fact_ml_predictions[predicted_demand])", _HAS_ORDER),
        "#,0.0",
        NOT_KPI + "the 7-day demand forecast behind the order, order lines only.",
    ),
    Measure(
        "Reorder Point",
        _on_latest(*_REORDER, "SELECTEDVALUE(fact_ml_predictions[reorder_point])", _HAS_ORDER),
        "#,0.0",
        NOT_KPI + "one line's reorder point (blank over several lines: a reorder point does not add up).",
    ),
    Measure(
        "Order Urgency",
        _on_latest(*_REORDER, "SELECTEDVALUE(fact_ml_predictions[urgency])", _HAS_ORDER),
        "",
        NOT_KPI + "one line's urgency label.",
    ),
)

FORECAST = (
    Measure(
        "Forecast WAPE",
        "DIVIDE(\n"
        "    SUMX(forecast_vs_actual,\n"
        "        ABS(forecast_vs_actual[forecast_units] - forecast_vs_actual[actual_units])),\n"
        "    SUM(forecast_vs_actual[actual_units]))",
        PERCENT,
        "Weighted absolute percentage error of each 7-day forecast against the units sold on the 7 days it "
        "forecasts (only forecasts whose days are all loaded).",
        twin="forecast_wape",
    ),
    Measure(
        "Forecast Bias %",
        "DIVIDE(SUM(forecast_vs_actual[forecast_units]) - SUM(forecast_vs_actual[actual_units]), "
        "SUM(forecast_vs_actual[actual_units]))",
        PERCENT,
        "Forecast units over actual units minus one on the target days (positive = forecasts ran high).",
        twin="forecast_bias",
    ),
    Measure(
        "Forecast Units",
        "SUM(forecast_vs_actual[forecast_units])",
        "#,0",
        NOT_KPI + "7-day forecast totals in the filter context (chart by target week end).",
    ),
    Measure(
        "Actual Units",
        "SUM(forecast_vs_actual[actual_units])",
        "#,0",
        NOT_KPI + "units sold on the same target days (chart by target week end).",
    ),
)

_AT_RISK = ("Latest Slow Movers Week", "fact_slow_movers")
_IS_AT_RISK = "fact_slow_movers[at_risk] = TRUE()"

SLOW_MOVERS = (
    Measure(
        "Latest Slow Movers Week",
        _latest("fact_slow_movers"),
        DATE,
        NOT_KPI + "the Monday of the newest slow_movers week, chain-wide.",
    ),
    Measure(
        "At-risk Slow Movers",
        _on_latest(*_AT_RISK, "COUNTROWS(fact_slow_movers)", _IS_AT_RISK),
        COUNT,
        "Store x product rows flagged at risk of expiry in the newest slow_movers week.",
        twin="slow_movers_at_risk",
    ),
    Measure(
        "At-risk On Hand",
        _on_latest(*_AT_RISK, "SUM(fact_slow_movers[on_hand])", _IS_AT_RISK),
        UNITS,
        NOT_KPI + "units on hand of at-risk rows, newest week (the at-risk list).",
    ),
    Measure(
        "Days Since Last Sale",
        _on_latest(*_AT_RISK, "SELECTEDVALUE(fact_slow_movers[days_since_last_sale])", _IS_AT_RISK),
        "0",
        NOT_KPI + "one at-risk row's days since its last sale.",
    ),
    Measure(
        "At-risk Probability",
        _on_latest(*_AT_RISK, "SELECTEDVALUE(fact_slow_movers[at_risk_probability])", _IS_AT_RISK),
        PERCENT,
        NOT_KPI + "one at-risk row's model probability (blank where the rule decided).",
    ),
)

_LIST = (
    "VAR latest = CALCULATE(MAX(fact_cross_sell[date]), REMOVEFILTERS(fact_cross_sell[related_product_key]), "
    "REMOVEFILTERS(dim_product))\n"
)

CROSS_SELL = (
    Measure(
        "Cross-sell Rank",
        _LIST + "RETURN CALCULATE(SELECTEDVALUE(fact_cross_sell[rank]), fact_cross_sell[date] = latest)",
        "0",
        NOT_KPI + "rank of a related product in one list of the newest week (blank across several lists: "
        "pick one store_key).",
    ),
    Measure(
        "Cross-sell Affinity",
        _LIST + "RETURN CALCULATE(SELECTEDVALUE(fact_cross_sell[affinity]), fact_cross_sell[date] = latest)",
        "0.000",
        NOT_KPI + "the pair's affinity in one list of the newest week.",
    ),
    Measure(
        "Related Product",
        "IF(NOT ISBLANK([Cross-sell Rank]),\n"
        "    LOOKUPVALUE(dim_product[name], dim_product[product_key], "
        "SELECTEDVALUE(fact_cross_sell[related_product_key])))",
        "",
        NOT_KPI + "the related product's name (fact_cross_sell relates to dim_product by product_key only).",
    ),
)

_GATE = "VAR run = [Latest Gate Run]\n"

DATA_QUALITY = (
    Measure(
        "Latest Gate Run",
        "VAR last_at = CALCULATE(MAX(dq_results[validated_at]), REMOVEFILTERS(dq_results))\n"
        "RETURN CALCULATE(MAX(dq_results[run_id]), REMOVEFILTERS(dq_results),\n"
        "    dq_results[validated_at] = last_at)",
        "",
        NOT_KPI + "the run_id of the newest expectation result.",
    ),
    Measure(
        "DQ Pass Rate (Latest Run)",
        _GATE + "RETURN DIVIDE(\n"
        "    CALCULATE(COUNTROWS(dq_results), dq_results[run_id] = run, dq_results[success] = TRUE()),\n"
        "    CALCULATE(COUNTROWS(dq_results), dq_results[run_id] = run))",
        PERCENT,
        NOT_KPI + "share of the latest gate run's expectations that passed.",
    ),
    Measure(
        "Blocking Failures (Latest Run)",
        _GATE + "RETURN CALCULATE(COUNTROWS(dq_results), dq_results[run_id] = run, "
        'dq_results[success] = FALSE(), dq_results[severity] = "block") + 0',
        COUNT,
        NOT_KPI + "failed blocking expectations of the latest gate run (0 when none).",
    ),
    Measure(
        "Unexpected Rows (Latest Run)",
        _GATE + "RETURN CALCULATE(SUM(dq_results[unexpected_count]), dq_results[run_id] = run, "
        "dq_results[success] = FALSE())",
        COUNT,
        NOT_KPI + "rows an expectation of the latest gate run rejected (failed expectations only).",
    ),
)

MEASURES: dict[str, tuple[Measure, ...]] = {
    "fact_inventory": INVENTORY,
    "fact_sales": SALES,
    "fact_ml_predictions": PREDICTIONS,
    "forecast_vs_actual": FORECAST,
    "fact_slow_movers": SLOW_MOVERS,
    "fact_cross_sell": CROSS_SELL,
    "dq_results": DATA_QUALITY,
}
