-- KPI Revenue (Latest Week): NET revenue (sales plus returns: fact_sales keeps returns as kind 'return' with
-- negative revenue, and the dashboards' daily_sales_summary sums both) over the latest complete Monday..Sunday
-- week, the last one whose Sunday is on or before the latest date in fact_sales.
WITH toMonday((SELECT max(date) FROM fact_sales) + 1) - 7 AS week_start
SELECT toFloat64(sum(revenue)) AS value
FROM fact_sales
WHERE date BETWEEN week_start AND week_start + 6
