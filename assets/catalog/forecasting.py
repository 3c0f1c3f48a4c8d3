"""The demand model and the reorder recommendations store managers act on."""

from assets.model import (
    Alerts,
    AssetSpec,
    Freshness,
    Gate,
    Lake,
    ModelRegistry,
    all_up_to,
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
    gate=Gate("demand_model"),
    tags=("forecasting", "ml"),
)

reorder_predictions = AssetSpec(
    name="reorder_predictions",
    description=(
        "Per store x SKU and day: 7-day demand forecast with interval, safety stock, reorder point and the "
        "recommended order quantity."
    ),
    job="spark.jobs.forecasting:predict_reorders",
    storage=Lake("marts/reorder_predictions"),
    # Scoring rebuilds the model's origin statistics (up to 90 days of sales) from the features.
    upstream=(window("daily_features", 91), "inventory_snapshot", latest_before("demand_model")),
    gate=Gate("reorder_predictions"),
    warehouse_table="fact_ml_predictions",
    alerts=Alerts(RESTOCK_ALERTS_TOPIC, column="urgency", values=("critical", "high")),
    freshness=Freshness(ready_by="10:00"),
    tags=("forecasting", "ml"),
)

ASSETS = (demand_model, reorder_predictions)
