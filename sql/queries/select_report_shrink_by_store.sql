-- Inventory analyst: net units lost at stock counts per store over the 28 days ending on the latest
-- inventory date (as KPI Shrink Units; negative = the counts found more than the book).
WITH (SELECT max(date) FROM fact_inventory) AS latest
SELECT s.name AS store, toFloat64(-sum(f.count_variance)) AS shrink_units
FROM fact_inventory AS f FINAL
INNER JOIN dim_store AS s ON s.store_key = f.store_key
WHERE f.date BETWEEN latest - 27 AND latest
GROUP BY store
ORDER BY shrink_units DESC, store
