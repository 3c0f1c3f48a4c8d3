-- KPI Shrink Units: net units lost at stock counts in the window (28 days ending on the latest inventory
-- date); count_variance is counted - book, so a loss is negative and the KPI negates it (positive = loss).
WITH (SELECT max(date) FROM fact_inventory) AS latest
SELECT toFloat64(-sum(count_variance)) AS value
FROM fact_inventory FINAL
WHERE date BETWEEN latest - 27 AND latest
