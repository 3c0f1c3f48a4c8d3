-- Batches an operator let through the ingest's quarantine-rate guard on purpose (`shelfwise ingest accept`):
-- who, when and why, and the offsets accepted. Their bad events are still quarantined and dead-lettered.
CREATE TABLE IF NOT EXISTS ingest_acceptances
(
    topic           LowCardinality(String),
    from_offsets    String,
    through_offsets String,
    pending_events  Int64,
    why             String,
    accepted_by     String,
    accepted_at     DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (topic, accepted_at);
