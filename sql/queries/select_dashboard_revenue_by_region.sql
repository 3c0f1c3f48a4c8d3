-- Executive: revenue, profit and units per region per day over the last {days} days of sales.
SELECT date, region, sum(revenue) AS revenue, sum(profit) AS profit, sum(units) AS units
FROM daily_sales_summary
WHERE date > (SELECT max(date) FROM daily_sales_summary) - {days}
GROUP BY date, region
ORDER BY date, region
