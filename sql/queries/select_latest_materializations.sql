-- The newest successful build of every asset partition: what change detection compares against.
SELECT run_id, asset, partition, status, data_version, code_version, input_versions, row_count,
       started_at, ended_at, gate_result, message
FROM asset_materializations
WHERE status = 'success'
ORDER BY asset, partition, ended_at DESC
LIMIT 1 BY asset, partition
