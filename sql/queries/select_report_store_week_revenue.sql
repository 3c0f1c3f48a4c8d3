-- Executive: revenue per store and week (the heatmap of store performance).
SELECT s.name AS store, s.region AS region, toMonday(f.date) AS week, sum(f.revenue) AS revenue
FROM fact_sales AS f
INNER JOIN dim_store AS s ON s.store_key = f.store_key
WHERE f.date > (SELECT max(date) FROM fact_sales) - {days}
GROUP BY store, region, week
ORDER BY region, store, week
