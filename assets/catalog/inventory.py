"""Stock position and the features demand models learn from."""

from assets.model import AssetSpec, Gate, Lake, WarehouseTable, all_up_to, as_of_build, previous_day, window

inventory_snapshot = AssetSpec(
    name="inventory_snapshot",
    description=(
        "Daily ledger per store x SKU: opening on-hand, sold, returned, received, adjusted, closing "
        "on-hand, stock-out flag and hours, days of cover, value at cost and retail."
    ),
    job="spark.jobs.inventory:build_inventory_snapshot",
    storage=Lake("curated/inventory_snapshot"),
    contract="inventory_snapshot",
    # Today's opening stock is yesterday's closing stock, so a late event rebuilds from its day forward.
    upstream=(
        "raw_sales", "raw_receipts", "raw_inventory_updates", previous_day("inventory_snapshot"),
        as_of_build("stores"), as_of_build("products"),  # one row per store x SKU the chain carries
    ),
    gate=Gate(),
    warehouse=WarehouseTable("fact_inventory", "infra.warehouse_load:inventory_rows", dimensions=True),
    tags=("inventory",),
)

daily_features = AssetSpec(
    name="daily_features",
    description="Per store x SKU x day: sales lags, rolling statistics, calendar, price and stock-out flags.",
    job="spark.jobs.features:build_daily_features",
    storage=Lake("curated/daily_features"),
    contract="daily_features",
    # The longest rolling statistic reads 90 days before D (features use days <= D-1; D is the target).
    upstream=(
        window("inventory_snapshot", 91), all_up_to("raw_price_changes"),
        as_of_build("stores"), as_of_build("products"),
    ),
    gate=Gate(),
    tags=("forecasting",),
)

ASSETS = (inventory_snapshot, daily_features)
