-- Swap the staged month in atomically: readers see the old month or the new one, never a mix.
ALTER TABLE {table} REPLACE PARTITION {month} FROM {staging};
