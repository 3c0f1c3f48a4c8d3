-- Give the staging copy a partition the load keeps unchanged (parts are hard-linked, not rewritten).
ALTER TABLE {staging} ATTACH PARTITION ID '{partition_id}' FROM {table};
