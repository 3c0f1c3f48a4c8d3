-- Rebuild the months {months} of product_performance from this load's fact_sales into its staging copy.
INSERT INTO {staging}
SELECT date, any(date_key), product_key, sum(quantity), sum(revenue), sum(profit), uniqExact(store_key)
FROM {fact_sales}
WHERE toYYYYMM(date) IN ({months})
GROUP BY date, product_key;
