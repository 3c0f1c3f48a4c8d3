-- Pre-aggregated tables behind the heavy dashboard visuals (filters fold poorly through the Power BI
-- connector). Fact loads replace whole months, which does not fire ClickHouse materialized views, so each
-- aggregate is rebuilt for exactly the months a load replaced (infra/warehouse_aggregates.py) and swapped in
-- with REPLACE PARTITION like the facts. Plain MergeTree: rows are never merged, only replaced by month.
CREATE TABLE IF NOT EXISTS daily_sales_summary
(
    date        Date,
    date_key    Int32,
    store_key   LowCardinality(String),
    region      LowCardinality(String),
    baskets     Int64,
    units       Int64,
    revenue     Float64 CODEC(Gorilla, ZSTD(1)),
    cost        Float64 CODEC(Gorilla, ZSTD(1)),
    profit      Float64 CODEC(Gorilla, ZSTD(1))
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(date)
ORDER BY (date, region, store_key);
CREATE TABLE IF NOT EXISTS daily_sales_summary_staging AS daily_sales_summary;

CREATE TABLE IF NOT EXISTS inventory_by_store
(
    date             Date,
    date_key         Int32,
    store_key        LowCardinality(String),
    units_on_hand    Int64,
    value_at_cost    Float64 CODEC(Gorilla, ZSTD(1)),
    value_at_retail  Float64 CODEC(Gorilla, ZSTD(1)),
    stock_outs       Int64,
    skus             Int64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(date)
ORDER BY (date, store_key);
CREATE TABLE IF NOT EXISTS inventory_by_store_staging AS inventory_by_store;

CREATE TABLE IF NOT EXISTS product_performance
(
    date         Date,
    date_key     Int32,
    product_key  LowCardinality(String),
    units        Int64,
    revenue      Float64 CODEC(Gorilla, ZSTD(1)),
    profit       Float64 CODEC(Gorilla, ZSTD(1)),
    stores       Int64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(date)
ORDER BY (date, product_key);
CREATE TABLE IF NOT EXISTS product_performance_staging AS product_performance;

CREATE TABLE IF NOT EXISTS stock_movements
(
    date       Date,
    date_key   Int32,
    store_key  LowCardinality(String),
    sold       Int64,
    returned   Int64,
    received   Int64,
    adjusted   Int64,
    shrinkage  Int64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(date)
ORDER BY (date, store_key);
CREATE TABLE IF NOT EXISTS stock_movements_staging AS stock_movements;
