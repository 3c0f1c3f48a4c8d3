"""The report's pages on a 1280 x 720 canvas. Every number on a page is an explicit measure; columns only
group (names, dates, categories) or slice."""

from __future__ import annotations

from infra.powerbi_project.spec import Field, Page, Visual, column, measure

INV, SALES, PRED, FVA = "fact_inventory", "fact_sales", "fact_ml_predictions", "forecast_vs_actual"
SLOW, XSELL, DQ = "fact_slow_movers", "fact_cross_sell", "dq_results"
STORE_NAME, REGION = column("dim_store", "name"), column("dim_store", "region")
SKU, PRODUCT = column("dim_product", "sku"), column("dim_product", "name")
CARD_W, CARD_H, GAP = 200, 100, 10


def card(table: str, name: str, x: int, y: int) -> Visual:
    return Visual(_slug(name), "card", name, {"Values": (measure(table, name),)}, (x, y, CARD_W, CARD_H))


def card_row(y: int, *cards: tuple[str, str]) -> tuple[Visual, ...]:
    return tuple(card(t, n, GAP + i * (CARD_W + GAP), y) for i, (t, n) in enumerate(cards))


def table(name: str, title: str, fields: tuple[Field, ...], box, sort: Field | None = None) -> Visual:
    return Visual(name, "tableEx", title, {"Values": fields}, box, sort=sort)


def chart(kind: str, name: str, title: str, category: Field, values: tuple[Field, ...], box) -> Visual:
    return Visual(name, kind, title, {"Category": (category,), "Y": values}, box)


def slicer(name: str, title: str, field: Field, box, single: bool = False) -> Visual:
    return Visual(name, "slicer", title, {"Values": (field,)}, box, single_select=single)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_").replace("__", "_")


OVERVIEW = Page(
    "overview",
    "Overview",
    (
        *card_row(
            GAP,
            (INV, "Stock Value"),
            (INV, "In-Stock %"),
            (INV, "Stock-outs"),
            (INV, "Days of Cover"),
            (INV, "Weeks of Supply"),
            (INV, "Sell-through %"),
        ),
        *card_row(
            120,
            (INV, "Shrink Units"),
            (SALES, "Revenue (Latest Week)"),
            (SALES, "Revenue WoW %"),
            (SALES, "Units Sold (Latest Week)"),
            (FVA, "Forecast WAPE"),
            (PRED, "Reorder Lines"),
        ),
        chart(
            "lineChart",
            "net_revenue_by_day",
            "Net revenue by day (returns deducted)",
            column("dim_date", "date"),
            (measure(SALES, "Net Revenue"),),
            (GAP, 230, 830, 480),
        ),
        chart(
            "clusteredBarChart",
            "revenue_latest_week_by_region",
            "Revenue of the latest complete week by region",
            REGION,
            (measure(SALES, "Revenue (Latest Week)"),),
            (850, 230, 420, 260),
        ),
        card(PRED, "Recommended Order Value", 850, 500),
        card(SLOW, "At-risk Slow Movers", 1060, 500),
    ),
)

STOCK = Page(
    "stock",
    "Stock",
    (
        slicer("region_slicer", "Region", REGION, (GAP, GAP, 250, 100)),
        *(
            card(INV, n, 270 + i * (CARD_W + GAP), GAP)
            for i, n in enumerate(("Stock Value", "In-Stock %", "Stock-outs", "Latest Inventory Date"))
        ),
        table(
            "stock_by_store",
            "Stock by store on the latest inventory date (window: its 28 days)",
            (
                STORE_NAME,
                *(
                    measure(INV, n)
                    for n in (
                        "Stock Value",
                        "In-Stock %",
                        "Stock-outs",
                        "Days of Cover",
                        "Weeks of Supply",
                        "Sell-through %",
                        "Shrink Units",
                    )
                ),
            ),
            (GAP, 120, 760, 590),
            sort=measure(INV, "Stock Value"),
        ),
        table(
            "stock_out_list",
            "Out of stock at close of the latest inventory date",
            (STORE_NAME, SKU, PRODUCT, measure(INV, "Stock-out Hours")),
            (780, 120, 490, 590),
            sort=measure(INV, "Stock-out Hours"),
        ),
    ),
)

FORECAST = Page(
    "forecast_accuracy",
    "Forecast accuracy",
    (
        card(FVA, "Forecast WAPE", GAP, GAP),
        card(FVA, "Forecast Bias %", 220, GAP),
        chart(
            "lineChart",
            "forecast_vs_actual_by_target_end",
            "7-day forecast totals vs units sold on the same 7 days, by the last day forecast",
            column(FVA, "target_end"),
            (measure(FVA, "Forecast Units"), measure(FVA, "Actual Units")),
            (GAP, 120, 1260, 360),
        ),
        chart(
            "clusteredBarChart",
            "wape_by_category",
            "Forecast WAPE by category",
            column("dim_product", "category"),
            (measure(FVA, "Forecast WAPE"),),
            (GAP, 490, 620, 220),
        ),
        chart(
            "clusteredBarChart",
            "bias_by_region",
            "Forecast bias by region",
            REGION,
            (measure(FVA, "Forecast Bias %"),),
            (650, 490, 620, 220),
        ),
    ),
)

REORDERS = Page(
    "reorders",
    "Reorders",
    (
        slicer("store_slicer", "Store", STORE_NAME, (GAP, GAP, 300, 100), single=True),
        card(PRED, "Reorder Lines", 320, GAP),
        card(PRED, "Recommended Order Value", 530, GAP),
        card(PRED, "Latest Prediction Date", 740, GAP),
        table(
            "order_list",
            "What to order (latest prediction date; pick one store)",
            (
                SKU,
                PRODUCT,
                *(
                    measure(PRED, n)
                    for n in (
                        "Order Urgency",
                        "Order Units",
                        "On Hand at Prediction",
                        "Reorder Point",
                        "Forecast Units (Next 7 Days)",
                        "Order Value",
                    )
                ),
            ),
            (GAP, 120, 1260, 590),
            sort=measure(PRED, "Order Value"),
        ),
    ),
)

SLOW_AND_CROSS_SELL = Page(
    "slow_movers_cross_sell",
    "Slow movers & cross-sell",
    (
        card(SLOW, "At-risk Slow Movers", GAP, GAP),
        card(SLOW, "Latest Slow Movers Week", 220, GAP),
        table(
            "at_risk_list",
            "At risk of expiry or markdown (newest week)",
            (
                STORE_NAME,
                SKU,
                PRODUCT,
                *(
                    measure(SLOW, n)
                    for n in ("At-risk On Hand", "Days Since Last Sale", "At-risk Probability")
                ),
            ),
            (GAP, 120, 620, 590),
            sort=measure(SLOW, "At-risk On Hand"),
        ),
        slicer(
            "cross_sell_list_slicer",
            "Cross-sell list (ALL = chain-wide, or one store)",
            column(XSELL, "store_key"),
            (650, GAP, 620, 100),
            single=True,
        ),
        table(
            "cross_sell_list",
            "Bought together (newest week)",
            (
                PRODUCT,
                column(XSELL, "related_product_key"),
                *(measure(XSELL, n) for n in ("Related Product", "Cross-sell Rank", "Cross-sell Affinity")),
            ),
            (650, 120, 620, 590),
            sort=measure(XSELL, "Cross-sell Affinity"),
        ),
    ),
)

DATA_QUALITY = Page(
    "data_quality",
    "Data quality",
    (
        card(DQ, "DQ Pass Rate (Latest Run)", GAP, GAP),
        card(DQ, "Blocking Failures (Latest Run)", 220, GAP),
        Visual(
            "latest_gate_run",
            "card",
            "Latest gate run",
            {"Values": (measure(DQ, "Latest Gate Run"),)},
            (430, GAP, 420, CARD_H),
        ),
        table(
            "failed_expectations",
            "Failed expectations of the latest gate run",
            (
                *(
                    column(DQ, n)
                    for n in ("asset", "partition", "expectation", "column_name", "severity", "why")
                ),
                measure(DQ, "Unexpected Rows (Latest Run)"),
            ),
            (GAP, 120, 1260, 590),
            sort=measure(DQ, "Unexpected Rows (Latest Run)"),
        ),
    ),
)

PAGES = (OVERVIEW, STOCK, FORECAST, REORDERS, SLOW_AND_CROSS_SELL, DATA_QUALITY)
