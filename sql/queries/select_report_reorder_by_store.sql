-- Store manager: every store's lines to order on the latest prediction date, most urgent first.
SELECT s.store_key AS store_key, s.name AS store, s.region AS region, p.sku AS sku, p.name AS product,
       f.on_hand AS on_hand, f.predicted_demand AS predicted_demand, f.reorder_point AS reorder_point,
       f.recommended_order_qty AS recommended_order_qty,
       f.recommended_order_qty * p.unit_cost AS order_value, f.urgency AS urgency
FROM fact_ml_predictions AS f FINAL
INNER JOIN dim_store AS s ON s.store_key = f.store_key
INNER JOIN dim_product AS p ON p.product_key = f.product_key
WHERE f.date = (SELECT max(date) FROM fact_ml_predictions) AND f.recommended_order_qty > 0
ORDER BY store, indexOf(['low', 'medium', 'high', 'critical'], f.urgency) DESC, f.stock_out_risk_score DESC, product
