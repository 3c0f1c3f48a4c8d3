-- Model performance, one series: the store x SKU that sold the most units in forecast_vs_actual, its 7-day
-- forecasts with their own 90% interval (fact_ml_predictions.confidence_low/high bound that 7-day total)
-- against the units sold on the same 7 days.
WITH busiest AS
(
    SELECT store_key, product_key FROM forecast_vs_actual
    GROUP BY store_key, product_key ORDER BY sum(actual_units) DESC, store_key, product_key LIMIT 1
)
SELECT v.target_start AS target_start, v.store_key AS store_key, s.name AS store, p.name AS product,
       v.forecast_units AS forecast, f.confidence_low AS low, f.confidence_high AS high, v.actual_units AS actual
FROM forecast_vs_actual AS v
INNER JOIN busiest AS b ON b.store_key = v.store_key AND b.product_key = v.product_key
INNER JOIN (SELECT store_key, product_key, date, confidence_low, confidence_high FROM fact_ml_predictions FINAL) AS f
        ON f.store_key = v.store_key AND f.product_key = v.product_key AND f.date = v.forecast_date
LEFT JOIN dim_store AS s ON s.store_key = v.store_key
LEFT JOIN dim_product AS p ON p.product_key = v.product_key
ORDER BY target_start
