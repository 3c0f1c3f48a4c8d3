-- Publish a staging copy: one atomic rename swaps it with the table (run again, it swaps back).
EXCHANGE TABLES {table} AND {staging};
