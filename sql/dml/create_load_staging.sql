-- A load's own staging copy of a table, from the table's DDL (same columns, engine, partition and sort keys).
CREATE TABLE {staging} AS {table};
