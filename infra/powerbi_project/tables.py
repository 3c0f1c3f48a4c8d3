"""The warehouse tables the model reads: columns with their ClickHouse types (as DESCRIBE prints them),
storage modes, relationships and the row-level security roles. Measures live in measures.py."""

from __future__ import annotations

from infra.powerbi_project.measures import MEASURES
from infra.powerbi_project.spec import Column, Relationship, Role, Table

LOADED_AT = {"loaded_at": "load bookkeeping (ReplacingMergeTree version), not a business fact"}


def columns(spec: str, additive: str = "", money: str = "") -> tuple[Column, ...]:
    """`name: ClickHouseType` per line; `additive`/`money` name the columns a measure may sum."""
    sums, cash = set(additive.split()), set(money.split())
    parsed = []
    for line in filter(None, (raw.strip() for raw in spec.splitlines())):
        name, clickhouse_type = (part.strip() for part in line.split(":", 1))
        parsed.append(Column(name, clickhouse_type, additive=name in sums | cash, money=name in cash))
    unknown = (sums | cash) - {c.name for c in parsed}
    if unknown:
        raise ValueError(f"additive/money names no column: {sorted(unknown)}")
    return tuple(parsed)


FACT_SALES = Table(
    "fact_sales",
    "import",
    "POS sale and return lines; returns carry negative quantity and revenue (history: Import).",
    columns(
        """
        sale_id: String
        kind: LowCardinality(String)
        date: Date
        date_key: Int32
        store_key: LowCardinality(String)
        product_key: LowCardinality(String)
        quantity: Int32
        revenue: Float64
        cost: Float64
        profit: Float64
        """,
        additive="quantity",
        money="revenue cost profit",
    ),
    omitted={"basket_id": "basket analysis lives in fact_cross_sell", "ts": "the day (date) is the grain"},
    measures=MEASURES["fact_sales"],
)

FACT_INVENTORY = Table(
    "fact_inventory",
    "directQuery",
    "Daily stock ledger per store x product (live: DirectQuery).",
    columns(
        """
        date: Date
        date_key: Int32
        store_key: LowCardinality(String)
        product_key: LowCardinality(String)
        opening_on_hand: Int32
        sold: Int32
        returned: Int32
        received: Int32
        adjusted: Int32
        count_variance: Int32
        closing_on_hand: Int32
        discrepancy: Bool
        discrepancy_units: Int32
        stock_out: Bool
        stock_out_hours: Float64
        store_silent: Bool
        days_of_cover: Nullable(Float64)
        value_at_cost: Float64
        value_at_retail: Float64
        """,
        additive="opening_on_hand sold returned received adjusted count_variance closing_on_hand "
        "discrepancy_units stock_out_hours",
        money="value_at_cost value_at_retail",
    ),
    omitted={"quantity_on_hand": "ALIAS of closing_on_hand (the seed's name)", **LOADED_AT},
    measures=MEASURES["fact_inventory"],
)

FACT_ML_PREDICTIONS = Table(
    "fact_ml_predictions",
    "directQuery",
    "Reorder recommendations with the 7-day demand forecast, per store x product x day (DirectQuery).",
    columns(
        """
        prediction_id: String
        date: Date
        date_key: Int32
        store_key: LowCardinality(String)
        product_key: LowCardinality(String)
        forecast_source: LowCardinality(String)
        model_version: LowCardinality(String)
        predicted_demand: Float64
        confidence_low: Float64
        confidence_high: Float64
        stock_out_risk_score: Float64
        daily_mean: Float64
        daily_std: Float64
        on_hand: Int32
        on_order: Int32
        lead_time_days: Float64
        lead_time_std_days: Float64
        case_pack: Int32
        min_order_units: Int32
        service_level: Float64
        safety_stock: Float64
        reorder_point: Float64
        order_up_to: Float64
        recommended_order_qty: Int32
        urgency: LowCardinality(String)
        """,
        additive="predicted_demand on_hand on_order recommended_order_qty",
    ),
    omitted=LOADED_AT,
    measures=MEASURES["fact_ml_predictions"],
)

FORECAST_VS_ACTUAL = Table(
    "forecast_vs_actual",
    "import",
    "Each 7-day forecast against the units sold on the 7 days it forecasts (ClickHouse view; only forecasts "
    "whose target days are all loaded). Import: the view joins two facts, so it is read once per refresh.",
    columns(
        """
        forecast_date: Date
        target_start: Date
        target_end: Date
        store_key: String
        product_key: String
        model_version: String
        forecast_source: String
        forecast_units: Float64
        actual_units: Float64
        """,
        additive="forecast_units actual_units",
    ),
    measures=MEASURES["forecast_vs_actual"],
)

FACT_SLOW_MOVERS = Table(
    "fact_slow_movers",
    "import",
    "Weekly expiry / markdown risk per store x product (date = the week's Monday; Import).",
    columns(
        """
        date: Date
        date_key: Int32
        cutoff: Date
        store_key: LowCardinality(String)
        product_key: LowCardinality(String)
        on_hand: Float64
        mean_daily_units_28: Float64
        days_since_last_sale: Float64
        days_of_cover: Float64
        shelf_life_days: Float64
        at_risk_probability: Nullable(Float64)
        at_risk: Bool
        method: LowCardinality(String)
        model_precision: Nullable(Float64)
        model_recall: Nullable(Float64)
        rule_precision: Nullable(Float64)
        rule_recall: Nullable(Float64)
        """,
        additive="on_hand",
    ),
    omitted=LOADED_AT,
    measures=MEASURES["fact_slow_movers"],
)

FACT_CROSS_SELL = Table(
    "fact_cross_sell",
    "import",
    "Weekly top-10 related products per product (Import): store_key ALL = chain-wide lists, a store's key = "
    "its own; read one store_key at a time. No relationship to dim_store (ALL matches no store): roles "
    "filter its store_key directly, ALL for everyone.",
    columns(
        """
        date: Date
        date_key: Int32
        store_key: LowCardinality(String)
        product_key: LowCardinality(String)
        related_product_key: LowCardinality(String)
        rank: Int32
        affinity: Float64
        baskets_together: Int64
        method: LowCardinality(String)
        recall_at_10_als: Nullable(Float64)
        recall_at_10_popularity: Nullable(Float64)
        recall_at_10_co_occurrence: Nullable(Float64)
        eval_baskets: Nullable(Int64)
        """
    ),
    omitted=LOADED_AT,
    measures=MEASURES["fact_cross_sell"],
)

DQ_RESULTS = Table(
    "dq_results",
    "directQuery",
    "Every expectation a quality gate evaluated; run_id groups one runner pass (DirectQuery).",
    columns(
        """
        asset: LowCardinality(String)
        partition: String
        suite: LowCardinality(String)
        expectation: String
        column_name: String
        severity: LowCardinality(String)
        success: Bool
        observed_value: String
        unexpected_count: Int64
        element_count: Int64
        why: String
        report: String
        run_id: String
        validated_at: DateTime64(3, 'UTC')
        """,
        additive="unexpected_count element_count",
    ),
    measures=MEASURES["dq_results"],
)

DIM_DATE = Table(
    "dim_date",
    "dual",
    "The calendar (2010-2035), marked as the date table. Its end is not the data's end: snapshot measures "
    "anchor on the last date with data.",
    columns(
        """
        date_key: Int32
        date: Date
        year: Int32
        quarter: Int32
        month: Int32
        month_name: LowCardinality(String)
        day: Int32
        day_of_week: Int32
        day_name: LowCardinality(String)
        week_of_year: Int32
        is_weekend: Bool
        is_holiday: Bool
        holiday_name: LowCardinality(String)
        """
    ),
    is_date_table=True,
)

DIM_STORE = Table(
    "dim_store",
    "dual",
    "Stores: region, city, format.",
    columns(
        """
        store_key: String
        store_id: String
        name: String
        city: LowCardinality(String)
        region: LowCardinality(String)
        country: LowCardinality(String)
        square_footage: Int32
        store_type: LowCardinality(String)
        opens_at_hour: Int32
        closes_at_hour: Int32
        """
    ),
)

DIM_PRODUCT = Table(
    "dim_product",
    "dual",
    "Products with their supplier terms; unit_cost is the price stock is valued at.",
    columns(
        """
        product_key: String
        sku: String
        name: String
        category: LowCardinality(String)
        sub_category: LowCardinality(String)
        brand: LowCardinality(String)
        supplier_id: LowCardinality(String)
        supplier: String
        unit_cost: Float64
        list_price: Float64
        case_pack: Int32
        shelf_life_days: Int32
        lead_time_days: Float64
        lead_time_std_days: Float64
        min_order_units: Int32
        """
    ),
)

STORE_ACCESS = Table(
    "store_access",
    "import",
    "Who sees which stores: drives the row-level security roles. Hidden; readable in ClickHouse only by the "
    "refresh credential.",
    columns(
        """
        user_principal: String
        role: LowCardinality(String)
        store_key: String
        region: String
        """
    ),
    hidden=True,
)

TABLES = (
    FACT_SALES,
    FACT_INVENTORY,
    FACT_ML_PREDICTIONS,
    FORECAST_VS_ACTUAL,
    FACT_SLOW_MOVERS,
    FACT_CROSS_SELL,
    DQ_RESULTS,
    DIM_DATE,
    DIM_STORE,
    DIM_PRODUCT,
    STORE_ACCESS,
)


def _star(fact: str, date_column: str = "date_key", to_store: bool = True) -> tuple[Relationship, ...]:
    links = [Relationship(fact, date_column, "dim_date", "date" if date_column != "date_key" else "date_key")]
    if to_store:
        links.append(Relationship(fact, "store_key", "dim_store", "store_key"))
    links.append(Relationship(fact, "product_key", "dim_product", "product_key"))
    return tuple(links)


RELATIONSHIPS = (
    *_star("fact_sales"),
    *_star("fact_inventory"),
    *_star("fact_ml_predictions"),
    *_star("forecast_vs_actual", date_column="target_end"),
    *_star("fact_slow_movers"),
    *_star("fact_cross_sell", to_store=False),
)

_VIEWER = 'store_access[user_principal] = USERPRINCIPALNAME(), store_access[role] = "{role}"'
_MY_STORES = f"CALCULATETABLE(VALUES(store_access[store_key]), {_VIEWER.format(role='store_manager')})"
_MY_REGIONS = f"CALCULATETABLE(VALUES(store_access[region]), {_VIEWER.format(role='regional_manager')})"
_MY_REGION_STORES = f"CALCULATETABLE(VALUES(dim_store[store_key]), dim_store[region] IN {_MY_REGIONS})"
_OWN_ROWS = "[user_principal] = USERPRINCIPALNAME()"

ROLES = (
    Role(
        "Store Manager",
        "Sees only the stores listed for them in store_access.",
        {
            "dim_store": f"[store_key] IN {_MY_STORES}",
            "store_access": _OWN_ROWS,
            "fact_cross_sell": f'[store_key] = "ALL" || [store_key] IN {_MY_STORES}',
        },
    ),
    Role(
        "Regional Manager",
        "Sees every store of the regions listed for them in store_access.",
        {
            "dim_store": f"[region] IN {_MY_REGIONS}",
            "store_access": _OWN_ROWS,
            "fact_cross_sell": f'[store_key] = "ALL" || [store_key] IN {_MY_REGION_STORES}',
        },
    ),
    Role("Executive", "Sees every store."),
)
