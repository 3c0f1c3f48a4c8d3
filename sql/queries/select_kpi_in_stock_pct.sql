-- KPI In-Stock %: share (0..1) of store x product rows NOT out of stock on the latest inventory date.
SELECT countIf(NOT stock_out) / count() AS value
FROM fact_inventory FINAL
WHERE date = (SELECT max(date) FROM fact_inventory)
