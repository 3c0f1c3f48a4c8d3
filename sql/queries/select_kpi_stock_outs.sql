-- KPI Stock-outs: store x product rows out of stock at the close of the latest inventory date.
SELECT toFloat64(countIf(stock_out)) AS value
FROM fact_inventory FINAL
WHERE date = (SELECT max(date) FROM fact_inventory)
