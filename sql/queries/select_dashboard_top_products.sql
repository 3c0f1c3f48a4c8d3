-- Category manager: the 10 products with the most revenue over the last {days} days.
SELECT p.sku AS sku, p.name AS product, p.category AS category, sum(pp.units) AS units,
       sum(pp.revenue) AS revenue, sum(pp.profit) AS profit
FROM product_performance AS pp
INNER JOIN dim_product AS p ON p.product_key = pp.product_key
WHERE pp.date > (SELECT max(date) FROM product_performance) - {days}
GROUP BY sku, product, category
ORDER BY revenue DESC
LIMIT 10
