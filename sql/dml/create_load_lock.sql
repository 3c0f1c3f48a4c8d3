-- Take the warehouse load lock. Without IF NOT EXISTS, ClickHouse lets exactly one of several concurrent
-- CREATEs of one name succeed (the others fail with TABLE_ALREADY_EXISTS); the comment names the holder.
CREATE TABLE {lock} (load_id String) ENGINE = Memory COMMENT 'load {load_id} started {started}';
