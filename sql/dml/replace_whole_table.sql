-- Swap a staged unpartitioned table (a dimension) in atomically.
ALTER TABLE {table} REPLACE PARTITION tuple() FROM {staging};
