-- Model performance: share of store x SKU 7-day actuals inside their forecast's 90% interval (a calibrated
-- interval holds about 0.9 of them), over forecast_vs_actual.
SELECT avg(v.actual_units BETWEEN f.confidence_low AND f.confidence_high) AS coverage, count() AS pairs
FROM forecast_vs_actual AS v
INNER JOIN (SELECT store_key, product_key, date, confidence_low, confidence_high FROM fact_ml_predictions FINAL) AS f
        ON f.store_key = v.store_key AND f.product_key = v.product_key AND f.date = v.forecast_date
