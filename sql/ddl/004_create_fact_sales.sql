-- One row per POS sale or return line (raw_sales); returns carry negative quantity, revenue and cost.
-- Plain MergeTree: event_id is unique per line and months are replaced whole on reload.
CREATE TABLE IF NOT EXISTS fact_sales
(
    sale_id      String,
    kind         LowCardinality(String),
    basket_id    String,
    date         Date,
    date_key     Int32,
    ts           DateTime64(3, 'UTC'),
    store_key    LowCardinality(String),
    product_key  LowCardinality(String),
    quantity     Int32 CODEC(T64, ZSTD(1)),
    revenue      Float64 CODEC(Gorilla, ZSTD(1)),
    cost         Float64 CODEC(Gorilla, ZSTD(1)),
    profit       Float64 CODEC(Gorilla, ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(date)
ORDER BY (date, store_key, product_key);

CREATE TABLE IF NOT EXISTS fact_sales_staging AS fact_sales;
