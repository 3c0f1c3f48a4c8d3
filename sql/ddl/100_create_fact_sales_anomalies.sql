-- sales_anomalies, only the flagged rows (store x SKU x day with a reason other than 'none'): the
-- loss-prevention and buying work list. Loads replace whole months, like every fact.
CREATE TABLE IF NOT EXISTS fact_sales_anomalies
(
    date               Date,
    date_key           Int32,
    store_key          LowCardinality(String),
    product_key        LowCardinality(String),
    reason             LowCardinality(String),
    score              Float64 CODEC(Gorilla, ZSTD(1)),
    units_sold         Float64 CODEC(Gorilla, ZSTD(1)),
    expected_units     Nullable(Float64) CODEC(Gorilla, ZSTD(1)),
    spread             Float64 CODEC(Gorilla, ZSTD(1)),
    sales_z            Nullable(Float64) CODEC(Gorilla, ZSTD(1)),
    count_variance     Int32 CODEC(T64, ZSTD(1)),
    discrepancy_units  Int32 CODEC(T64, ZSTD(1)),
    inventory_z        Float64 CODEC(Gorilla, ZSTD(1)),
    stock_out          Bool,
    loaded_at          DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
PARTITION BY toYYYYMM(date)
ORDER BY (store_key, product_key, date);

CREATE TABLE IF NOT EXISTS fact_sales_anomalies_staging AS fact_sales_anomalies;
