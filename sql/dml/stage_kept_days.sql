-- Copy the month's rows that this load does not rebuild into staging ({table} -> {staging}).
INSERT INTO {staging} SELECT * FROM {table} WHERE toYYYYMM(date) = {month} AND date NOT IN ({days});
