-- Rebuild one month of daily_sales_summary from fact_sales into its staging table.
INSERT INTO daily_sales_summary_staging
SELECT f.date, any(f.date_key), f.store_key, any(s.region), uniqExact(f.basket_id), sum(f.quantity),
       sum(f.revenue), sum(f.cost), sum(f.profit)
FROM fact_sales AS f
LEFT JOIN dim_store AS s ON s.store_key = f.store_key
WHERE toYYYYMM(f.date) = {month}
GROUP BY f.date, f.store_key;
