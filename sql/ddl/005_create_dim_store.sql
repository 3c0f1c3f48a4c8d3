-- Stores (reference/stores); replaced whole on each load.
CREATE TABLE IF NOT EXISTS dim_store
(
    store_key       String,
    store_id        String,
    name            String,
    city            LowCardinality(String),
    region          LowCardinality(String),
    country         LowCardinality(String),
    square_footage  Int32,
    store_type      LowCardinality(String),
    opens_at_hour   Int32,
    closes_at_hour  Int32
)
ENGINE = ReplacingMergeTree
ORDER BY store_key;

CREATE TABLE IF NOT EXISTS dim_store_staging AS dim_store;
