-- Rebuild the months {months} of stock_movements from this load's fact_inventory into its staging copy.
INSERT INTO {staging}
SELECT date, any(date_key), store_key, sum(sold), sum(returned), sum(received), sum(adjusted),
       sum(least(count_variance, 0))
FROM {fact_inventory} FINAL
WHERE toYYYYMM(date) IN ({months})
GROUP BY date, store_key;
