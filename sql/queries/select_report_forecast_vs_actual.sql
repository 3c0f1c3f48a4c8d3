-- Model performance: the daily forecast (mean and 7-day interval per day) against units sold, chain-wide.
SELECT f.date AS date, sum(f.daily_mean) AS forecast, sum(f.confidence_low) / 7 AS low,
       sum(f.confidence_high) / 7 AS high, sum(i.sold) AS actual
FROM fact_ml_predictions AS f FINAL
LEFT JOIN (SELECT store_key, product_key, date, argMax(sold, loaded_at) AS sold FROM fact_inventory
           GROUP BY store_key, product_key, date) AS i
       ON i.store_key = f.store_key AND i.product_key = f.product_key AND i.date = f.date
GROUP BY date
ORDER BY date
