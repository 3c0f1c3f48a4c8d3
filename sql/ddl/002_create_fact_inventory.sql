-- inventory_snapshot, one row per store x SKU x day. Loads replace whole months from a staging copy
-- (ALTER TABLE ... REPLACE PARTITION), so a rerun never duplicates; ReplacingMergeTree on loaded_at is the
-- safety net should two loads of the same day ever interleave.
CREATE TABLE IF NOT EXISTS fact_inventory
(
    date              Date,
    date_key          Int32,
    store_key         LowCardinality(String),
    product_key       LowCardinality(String),
    opening_on_hand   Int32 CODEC(T64, ZSTD(1)),
    sold              Int32 CODEC(T64, ZSTD(1)),
    returned          Int32 CODEC(T64, ZSTD(1)),
    received          Int32 CODEC(T64, ZSTD(1)),
    adjusted          Int32 CODEC(T64, ZSTD(1)),
    count_variance    Int32 CODEC(T64, ZSTD(1)),
    closing_on_hand   Int32 CODEC(T64, ZSTD(1)),
    quantity_on_hand  Int32 ALIAS closing_on_hand,
    discrepancy       Bool,
    discrepancy_units Int32 CODEC(T64, ZSTD(1)),
    stock_out         Bool,
    stock_out_hours   Float64 CODEC(Gorilla, ZSTD(1)),
    days_of_cover     Nullable(Float64) CODEC(Gorilla, ZSTD(1)),
    value_at_cost     Float64 CODEC(Gorilla, ZSTD(1)),
    value_at_retail   Float64 CODEC(Gorilla, ZSTD(1)),
    loaded_at         DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
PARTITION BY toYYYYMM(date)
ORDER BY (store_key, product_key, date);

CREATE TABLE IF NOT EXISTS fact_inventory_staging AS fact_inventory;
