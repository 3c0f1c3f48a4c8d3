-- KPI Revenue WoW %: change of NET revenue (sales plus returns, as Revenue (Latest Week)) from the week
-- before to the latest complete Monday..Sunday week, as a share of the week before (0.05 = +5%).
WITH toMonday((SELECT max(date) FROM fact_sales) + 1) - 7 AS week_start
SELECT (sumIf(revenue, date >= week_start) - sumIf(revenue, date < week_start))
       / sumIf(revenue, date < week_start) AS value
FROM fact_sales
WHERE date BETWEEN week_start - 7 AND week_start + 6
