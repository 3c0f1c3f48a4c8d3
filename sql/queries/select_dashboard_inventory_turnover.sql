-- Inventory analyst: turnover per store over the last {days} days, cost of goods sold over the average
-- stock held at cost (annualised), with days of inventory.
SELECT s.name AS store, s.region AS region, sales.cogs AS cogs, stock.avg_value_at_cost AS avg_value_at_cost,
       sales.cogs / nullIf(stock.avg_value_at_cost, 0) * 365 / {days} AS annual_turnover,
       stock.avg_value_at_cost / nullIf(sales.cogs / {days}, 0) AS days_of_inventory
FROM
(
    SELECT store_key, sum(cost) AS cogs
    FROM daily_sales_summary
    WHERE date > (SELECT max(date) FROM daily_sales_summary) - {days}
    GROUP BY store_key
) AS sales
INNER JOIN
(
    SELECT store_key, avg(value_at_cost) AS avg_value_at_cost
    FROM inventory_by_store
    WHERE date > (SELECT max(date) FROM inventory_by_store) - {days}
    GROUP BY store_key
) AS stock ON stock.store_key = sales.store_key
INNER JOIN dim_store AS s ON s.store_key = sales.store_key
ORDER BY annual_turnover DESC
