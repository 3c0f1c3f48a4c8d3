-- One row per attempt to build an asset partition: the record change detection reads.
CREATE TABLE IF NOT EXISTS asset_materializations
(
    run_id          String,
    asset           LowCardinality(String),
    partition       String,
    status          LowCardinality(String),
    data_version    String,
    code_version    String,
    input_versions  String CODEC(ZSTD(3)),
    row_count       Int64,
    started_at      DateTime64(3, 'UTC'),
    ended_at        DateTime64(3, 'UTC'),
    gate_result     String CODEC(ZSTD(3)),
    message         String
)
ENGINE = MergeTree
PARTITION BY asset
ORDER BY (asset, partition, ended_at);
