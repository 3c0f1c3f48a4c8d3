-- KPI Forecast Bias %: forecast units over actual units minus one, over view forecast_vs_actual (positive =
-- the forecasts ran high).
SELECT (sum(forecast_units) - sum(actual_units)) / sum(actual_units) AS value
FROM forecast_vs_actual
