-- Store manager: every store x SKU out of stock at the close of the latest day, longest outage first.
SELECT s.name AS store, p.sku AS sku, p.name AS product, f.stock_out_hours AS stock_out_hours,
       f.sold AS sold_today
FROM fact_inventory AS f FINAL
INNER JOIN dim_store AS s ON s.store_key = f.store_key
INNER JOIN dim_product AS p ON p.product_key = f.product_key
WHERE f.date = (SELECT max(date) FROM inventory_by_store) AND f.stock_out
ORDER BY stock_out_hours DESC, store, sku
