-- KPI Forecast WAPE: weighted absolute percentage error of the 7-day forecasts against the units sold on the
-- 7 days they forecast (view forecast_vs_actual: only forecasts whose 7 target days are all loaded).
SELECT sum(abs(forecast_units - actual_units)) / sum(actual_units) AS value
FROM forecast_vs_actual
