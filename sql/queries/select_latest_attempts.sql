-- The newest attempt (successful or not) of every asset partition, for `shelfwise status`.
SELECT asset, partition, status, run_id, ended_at, gate_result, message
FROM asset_materializations
ORDER BY asset, partition, ended_at DESC
LIMIT 1 BY asset, partition
