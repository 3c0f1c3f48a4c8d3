-- KPI Weeks of Supply: units on hand at the close of the latest inventory date over the mean weekly units
-- sold in the window (the 28 days ending on that date, inclusive).
WITH (SELECT max(date) FROM fact_inventory) AS latest
SELECT sumIf(closing_on_hand, date = latest) / (sum(sold) / 4) AS value
FROM fact_inventory FINAL
WHERE date BETWEEN latest - 27 AND latest
