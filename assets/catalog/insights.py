"""Beyond forecasts: sales and stock anomalies, slow movers at risk of expiry, products bought together."""

from assets.model import AssetSpec, Gate, Lake, WarehouseTable, all_up_to, as_of_build, window

_JOBS = "spark.jobs.insights"

sales_anomalies = AssetSpec(
    name="sales_anomalies",
    description=(
        "Per store x SKU and day: units sold and stock-count variance scored with robust z-scores against "
        "the 28 days before, with a reason code (spike, drop, shrinkage, surplus, negative book)."
    ),
    job=f"{_JOBS}:build_sales_anomalies",
    storage=Lake("marts/sales_anomalies"),
    contract="sales_anomalies",
    # The score of day D compares D with the 28 days before it.
    upstream=(window("inventory_snapshot", 29), as_of_build("stores"), as_of_build("products")),
    gate=Gate(),
    warehouse=WarehouseTable("fact_sales_anomalies", "infra.warehouse_load:anomaly_rows"),
    tags=("insights", "ml"),
)

slow_movers = AssetSpec(
    name="slow_movers",
    description=(
        "Weekly per store x SKU: MLlib random-forest probability that on-hand stock will not sell through "
        "before it expires (markdown candidates), with the held-out precision and recall of the week's model."
    ),
    job=f"{_JOBS}:build_slow_movers",
    storage=Lake("marts/slow_movers"),
    contract="slow_movers",
    partitioning="weekly",
    # Labels are 28 days of forward sales: a week's model learns from origins up to 28 days before its cutoff.
    upstream=(all_up_to("inventory_snapshot"), as_of_build("stores"), as_of_build("products")),
    gate=Gate(),
    warehouse=WarehouseTable("fact_slow_movers", "infra.warehouse_load:slow_mover_rows"),
    tags=("insights", "ml"),
)

cross_sell = AssetSpec(
    name="cross_sell",
    description=(
        "Weekly per product, chain-wide (store_id ALL) and per store: its 10 most related products from "
        "MLlib ALS on 8 weeks of POS baskets, with recall@10 on the newest week's held-out baskets against "
        "a popularity baseline."
    ),
    job=f"{_JOBS}:build_cross_sell",
    storage=Lake("marts/cross_sell"),
    contract="cross_sell",
    partitioning="weekly",
    upstream=(all_up_to("raw_sales"), as_of_build("stores"), as_of_build("products")),
    gate=Gate(),
    warehouse=WarehouseTable("fact_cross_sell", "infra.warehouse_load:cross_sell_rows"),
    tags=("insights", "ml"),
)

ASSETS = (sales_anomalies, slow_movers, cross_sell)
