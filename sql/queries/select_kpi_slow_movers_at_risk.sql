-- KPI At-risk Slow Movers: store x product rows flagged at risk of expiry in the newest slow_movers week.
SELECT toFloat64(countIf(at_risk)) AS value
FROM fact_slow_movers FINAL
WHERE date = (SELECT max(date) FROM fact_slow_movers)
