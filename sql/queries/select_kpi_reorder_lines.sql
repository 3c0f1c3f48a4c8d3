-- KPI Reorder Lines: store x product recommendations with an order to place on the latest prediction date.
SELECT toFloat64(countIf(recommended_order_qty > 0)) AS value
FROM fact_ml_predictions FINAL
WHERE date = (SELECT max(date) FROM fact_ml_predictions)
