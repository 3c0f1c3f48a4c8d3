-- Model performance, chain-wide: per forecast date D, the 7-day forecast totals (days D+1..D+7) against the
-- units sold on those same days, over the store x SKU pairs of view forecast_vs_actual (all 7 days loaded).
SELECT target_start, target_end, sum(forecast_units) AS forecast, sum(actual_units) AS actual,
       count() AS pairs
FROM forecast_vs_actual
GROUP BY target_start, target_end
ORDER BY target_start
