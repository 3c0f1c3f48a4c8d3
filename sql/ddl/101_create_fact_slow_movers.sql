-- slow_movers, one row per store x SKU and week (date = the week's Monday, cutoff = its Sunday): the
-- expiry / markdown risk, and the held-out precision and recall of the model that produced it.
CREATE TABLE IF NOT EXISTS fact_slow_movers
(
    date                  Date,
    date_key              Int32,
    cutoff                Date,
    store_key             LowCardinality(String),
    product_key           LowCardinality(String),
    on_hand               Float64 CODEC(Gorilla, ZSTD(1)),
    mean_daily_units_28   Float64 CODEC(Gorilla, ZSTD(1)),
    days_since_last_sale  Float64,
    days_of_cover         Float64 CODEC(Gorilla, ZSTD(1)),
    shelf_life_days       Float64,
    at_risk_probability   Nullable(Float64) CODEC(Gorilla, ZSTD(1)),
    at_risk               Bool,
    method                LowCardinality(String),
    model_precision       Nullable(Float64),
    model_recall          Nullable(Float64),
    rule_precision        Nullable(Float64),
    rule_recall           Nullable(Float64),
    loaded_at             DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
PARTITION BY toYYYYMM(date)
ORDER BY (store_key, product_key, date);

CREATE TABLE IF NOT EXISTS fact_slow_movers_staging AS fact_slow_movers;
