-- KPI Stock Value: stock held at cost on the latest inventory date (max date in fact_inventory, not the
-- calendar's end). Twin of the DAX measure [Stock Value] (docs/warehouse.md).
SELECT toFloat64(sum(value_at_cost)) AS value
FROM fact_inventory FINAL
WHERE date = (SELECT max(date) FROM fact_inventory)
