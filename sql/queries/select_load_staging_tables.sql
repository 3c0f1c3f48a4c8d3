-- Staging copies that belong to some load (`<table>_staging_<12 hex>`).
SELECT name FROM system.tables
WHERE database = currentDatabase() AND match(name, '_staging_[0-9a-f]{{12}}$')
ORDER BY name;
