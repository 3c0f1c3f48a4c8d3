-- Rebuild the months {months} of daily_sales_summary from this load's fact_sales into its staging copy.
INSERT INTO {staging}
SELECT f.date, any(f.date_key), f.store_key, any(s.region), uniqExact(f.basket_id), sum(f.quantity),
       sum(f.revenue), sum(f.cost), sum(f.profit)
FROM {fact_sales} AS f
LEFT JOIN {dim_store} AS s ON s.store_key = f.store_key
WHERE toYYYYMM(f.date) IN ({months})
GROUP BY f.date, f.store_key;
