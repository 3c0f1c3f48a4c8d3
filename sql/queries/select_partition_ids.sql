-- The partitions a table holds now (a staging copy takes those its load does not rebuild).
SELECT DISTINCT partition_id FROM system.parts
WHERE database = currentDatabase() AND table = '{table}' AND active
ORDER BY partition_id;
