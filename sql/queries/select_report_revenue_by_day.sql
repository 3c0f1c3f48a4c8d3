-- Executive: chain revenue per day over the last {days} days of sales.
SELECT date, sum(revenue) AS revenue, sum(profit) AS profit, sum(quantity) AS units
FROM fact_sales
WHERE date > (SELECT max(date) FROM fact_sales) - {days}
GROUP BY date
ORDER BY date
