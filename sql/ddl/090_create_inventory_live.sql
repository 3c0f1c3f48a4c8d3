-- Live on-hand per store x SKU, kept current by the streaming job (spark/jobs/live_stock.py).
-- Every micro-batch writes new versions of the rows it touches; ReplacingMergeTree keeps the newest per key,
-- and a replayed batch rewrites identical rows under the same batch_id.
CREATE TABLE IF NOT EXISTS inventory_live
(
    store_id          LowCardinality(String),
    sku               LowCardinality(String),
    on_hand           Int32,
    last_sale_at      Nullable(DateTime64(3, 'UTC')),
    velocity_per_day  Float64 CODEC(Gorilla, ZSTD(1)),
    last_event_at     DateTime64(3, 'UTC'),
    updated_at        DateTime64(3, 'UTC'),
    batch_id          Int64 CODEC(Delta, ZSTD(1))
)
ENGINE = ReplacingMergeTree(batch_id)
ORDER BY (store_id, sku);

-- What dashboards and the reorder job read: one current row per store x SKU.
CREATE VIEW IF NOT EXISTS inventory_live_current AS
SELECT store_id, sku, on_hand, last_sale_at, velocity_per_day, last_event_at, updated_at
FROM inventory_live FINAL;
