-- KPI Sell-through %: units sold in the window (28 days ending on the latest inventory date) over the stock
-- available to sell in it: opening on hand of the window's first day plus units received in the window.
WITH (SELECT max(date) FROM fact_inventory) AS latest
SELECT sum(sold) / (sumIf(opening_on_hand, date = latest - 27) + sum(received)) AS value
FROM fact_inventory FINAL
WHERE date BETWEEN latest - 27 AND latest
