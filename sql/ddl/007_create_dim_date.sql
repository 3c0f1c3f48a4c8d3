-- The calendar (weekends and holidays from spark/calendar.py), keyed by date_key = YYYYMMDD.
CREATE TABLE IF NOT EXISTS dim_date
(
    date_key      Int32,
    date          Date,
    year          Int32,
    quarter       Int32,
    month         Int32,
    month_name    LowCardinality(String),
    day           Int32,
    day_of_week   Int32,
    day_name      LowCardinality(String),
    week_of_year  Int32,
    is_weekend    Bool,
    is_holiday    Bool,
    holiday_name  LowCardinality(String)
)
ENGINE = ReplacingMergeTree
ORDER BY date_key;

CREATE TABLE IF NOT EXISTS dim_date_staging AS dim_date;
