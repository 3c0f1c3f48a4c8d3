-- Rebuild the months {months} of inventory_by_store from this load's fact_inventory into its staging copy.
INSERT INTO {staging}
SELECT date, any(date_key), store_key, sum(closing_on_hand), sum(value_at_cost), sum(value_at_retail),
       countIf(stock_out), count()
FROM {fact_inventory} FINAL
WHERE toYYYYMM(date) IN ({months})
GROUP BY date, store_key;
