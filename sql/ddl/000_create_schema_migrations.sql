-- Which files under sql/ddl have been applied (written by `shelfwise warehouse migrate`).
CREATE TABLE IF NOT EXISTS schema_migrations
(
    name       String,
    applied_id String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY name;
