-- Rebuild one month of inventory_by_store from fact_inventory into its staging table.
INSERT INTO inventory_by_store_staging
SELECT date, any(date_key), store_key, sum(closing_on_hand), sum(value_at_cost), sum(value_at_retail),
       countIf(stock_out), count()
FROM fact_inventory FINAL
WHERE toYYYYMM(date) = {month}
GROUP BY date, store_key;
