-- Rebuild one month of stock_movements from fact_inventory into its staging table.
INSERT INTO stock_movements_staging
SELECT date, any(date_key), store_key, sum(sold), sum(returned), sum(received), sum(adjusted),
       sum(least(count_variance, 0))
FROM fact_inventory FINAL
WHERE toYYYYMM(date) = {month}
GROUP BY date, store_key;
