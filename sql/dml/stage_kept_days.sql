-- Copy the rebuilt months' days that this load does not rebuild into staging ({table} -> {staging}).
INSERT INTO {staging} SELECT * FROM {table} WHERE toYYYYMM(date) IN ({months}) AND date NOT IN ({days});
