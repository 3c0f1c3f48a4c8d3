-- One row per expectation evaluated by a gate: data quality next to the business figures in Power BI.
CREATE TABLE IF NOT EXISTS dq_results
(
    asset            LowCardinality(String),
    partition        String,
    suite            LowCardinality(String),
    expectation      String,
    column_name      String,
    severity         LowCardinality(String),
    success          Bool,
    observed_value   String,
    unexpected_count Int64,
    element_count    Int64,
    why              String,
    report           String,
    run_id           String,
    validated_at     DateTime64(3, 'UTC')
)
ENGINE = MergeTree
PARTITION BY asset
ORDER BY (asset, partition, validated_at, expectation);
