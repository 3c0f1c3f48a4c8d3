-- KPI Units Sold (Latest Week): NET units (sales minus returned units; returns carry negative quantity) over
-- the latest complete Monday..Sunday week, as Revenue (Latest Week).
WITH toMonday((SELECT max(date) FROM fact_sales) + 1) - 7 AS week_start
SELECT toFloat64(sum(quantity)) AS value
FROM fact_sales
WHERE date BETWEEN week_start AND week_start + 6
