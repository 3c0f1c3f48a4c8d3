-- Inventory analyst: stock value, stock-outs and median days of cover per store on the latest day.
SELECT s.name AS store, sum(f.value_at_cost) AS value_at_cost, sum(f.value_at_retail) AS value_at_retail,
       countIf(f.stock_out) AS stock_outs, median(f.days_of_cover) AS median_days_of_cover
FROM fact_inventory AS f FINAL
INNER JOIN dim_store AS s ON s.store_key = f.store_key
WHERE f.date = (SELECT max(date) FROM fact_inventory)
GROUP BY store
ORDER BY value_at_cost DESC
