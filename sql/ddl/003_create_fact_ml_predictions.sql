-- reorder_predictions, one row per store x SKU x day: 7-day forecast, interval and the reorder decision.
CREATE TABLE IF NOT EXISTS fact_ml_predictions
(
    prediction_id          String,
    date                   Date,
    date_key               Int32,
    store_key              LowCardinality(String),
    product_key            LowCardinality(String),
    forecast_source        LowCardinality(String),
    model_version          LowCardinality(String),
    predicted_demand       Float64 CODEC(Gorilla, ZSTD(1)),
    confidence_low         Float64 CODEC(Gorilla, ZSTD(1)),
    confidence_high        Float64 CODEC(Gorilla, ZSTD(1)),
    stock_out_risk_score   Float64 CODEC(Gorilla, ZSTD(1)),
    daily_mean             Float64 CODEC(Gorilla, ZSTD(1)),
    daily_std              Float64 CODEC(Gorilla, ZSTD(1)),
    on_hand                Int32 CODEC(T64, ZSTD(1)),
    on_order               Int32 CODEC(T64, ZSTD(1)),
    lead_time_days         Float64,
    lead_time_std_days     Float64,
    case_pack              Int32,
    min_order_units        Int32,
    service_level          Float64,
    safety_stock           Float64 CODEC(Gorilla, ZSTD(1)),
    reorder_point          Float64 CODEC(Gorilla, ZSTD(1)),
    order_up_to            Float64 CODEC(Gorilla, ZSTD(1)),
    recommended_order_qty  Int32 CODEC(T64, ZSTD(1)),
    urgency                LowCardinality(String),
    loaded_at              DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
PARTITION BY toYYYYMM(date)
ORDER BY (store_key, product_key, date);

CREATE TABLE IF NOT EXISTS fact_ml_predictions_staging AS fact_ml_predictions;
