-- A month left with no rows after a load: drop it (REPLACE PARTITION refuses an empty source).
ALTER TABLE {table} DROP PARTITION {month};
