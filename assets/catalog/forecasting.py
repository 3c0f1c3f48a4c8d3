"""The demand model, the orders on their way, and the reorder recommendations store managers act on."""

from assets.model import (
    Alerts,
    AssetSpec,
    Freshness,
    Gate,
    Lake,
    ModelRegistry,
    WarehouseTable,
    all_up_to,
    as_of_build,
    latest_before,
    window,
)
from spark.schemas import RESTOCK_ALERTS_TOPIC

demand_model = AssetSpec(
    name="demand_model",
    description="Global MLlib regressor of daily units per store x SKU, retrained weekly on all history.",
    job="spark.jobs.forecasting:train_demand_model",
    storage=ModelRegistry("models/demand"),
    partitioning="weekly",
    upstream=(all_up_to("daily_features"),),
    gate=Gate(),
    tags=("forecasting", "ml"),
)

open_orders = AssetSpec(
    name="open_orders",
    description=(
        "Per store x SKU and day: units ordered from suppliers and not yet received or cancelled, open order "
        "lines, next promised arrival and overdue units (purchase orders minus the receipts naming them)."
    ),
    job="spark.jobs.open_orders:build_open_orders",
    storage=Lake("curated/open_orders"),
    contract="open_orders",
    # An order stays open until receipts or a cancellation cover it, however long ago it was placed.
    upstream=(
        all_up_to("raw_purchase_orders"), all_up_to("raw_receipts"),
        as_of_build("stores"), as_of_build("products"),
    ),
    gate=Gate(),
    tags=("forecasting", "inventory"),
)

reorder_predictions = AssetSpec(
    name="reorder_predictions",
    description=(
        "Per store x SKU and day: 7-day demand forecast with interval, safety stock, reorder point and the "
        "recommended order quantity."
    ),
    job="spark.jobs.forecasting:predict_reorders",
    storage=Lake("marts/reorder_predictions"),
    contract="reorder_predictions",
    # Scoring rebuilds the model's origin statistics (up to 90 days of sales) from the features.
    # The stock position is on hand (the snapshot) plus what is on order (open_orders) on the same day.
    upstream=(
        window("daily_features", 91),
        "inventory_snapshot",
        "open_orders",
        latest_before("demand_model"),
        as_of_build("stores"), as_of_build("products"), as_of_build("suppliers"),  # case packs, lead times
    ),
    gate=Gate(),
    warehouse=WarehouseTable("fact_ml_predictions", "infra.warehouse_load:prediction_rows"),
    alerts=Alerts(RESTOCK_ALERTS_TOPIC, column="urgency", values=("critical", "high")),
    freshness=Freshness(ready_by="10:00"),
    tags=("forecasting", "ml"),
)

ASSETS = (demand_model, open_orders, reorder_predictions)
