-- Rebuild one month of product_performance from fact_sales into its staging table.
INSERT INTO product_performance_staging
SELECT date, any(date_key), product_key, sum(quantity), sum(revenue), sum(profit), uniqExact(store_key)
FROM fact_sales
WHERE toYYYYMM(date) = {month}
GROUP BY date, product_key;
