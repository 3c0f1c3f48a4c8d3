-- Store manager and alerts: the newest recommendation per store x product, riskiest first.
SELECT s.name AS store, p.name AS product, p.sku AS sku, f.date AS date, f.on_hand AS on_hand,
       f.predicted_demand AS predicted_demand, f.confidence_low AS confidence_low,
       f.confidence_high AS confidence_high, f.reorder_point AS reorder_point,
       f.recommended_order_qty AS recommended_order_qty, f.stock_out_risk_score AS stock_out_risk_score,
       f.urgency AS urgency
FROM fact_ml_predictions AS f FINAL
INNER JOIN dim_store AS s ON s.store_key = f.store_key
INNER JOIN dim_product AS p ON p.product_key = f.product_key
WHERE f.date = (SELECT max(date) FROM fact_ml_predictions)
ORDER BY f.stock_out_risk_score DESC, f.recommended_order_qty DESC
LIMIT {limit}
