-- KPI Days of Cover: mean days of cover over the store x product rows of the latest inventory date that
-- have one (null = no sales in the trailing 28 days, so cover is unbounded and left out).
SELECT avgIf(assumeNotNull(days_of_cover), days_of_cover IS NOT NULL) AS value
FROM fact_inventory FINAL
WHERE date = (SELECT max(date) FROM fact_inventory)
