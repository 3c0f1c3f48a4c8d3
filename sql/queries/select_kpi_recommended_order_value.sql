-- KPI Recommended Order Value: the latest prediction date's recommended order units at the product's unit
-- cost (dim_product.unit_cost, the supplier price the ledger values stock at).
SELECT toFloat64(sum(f.recommended_order_qty * p.unit_cost)) AS value
FROM fact_ml_predictions AS f FINAL
INNER JOIN dim_product AS p FINAL ON p.product_key = f.product_key
WHERE f.date = (SELECT max(date) FROM fact_ml_predictions)
