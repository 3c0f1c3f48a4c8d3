-- forecast_vs_actual as in 103, except that a 7-day window holding a silent store day (121: no sales events
-- while the store usually trades) is left out: its zero sales are missing data, and scoring a forecast
-- against them would read as over-forecasting.
DROP VIEW IF EXISTS forecast_vs_actual;
CREATE VIEW forecast_vs_actual
SQL SECURITY INVOKER
AS
SELECT
    p.date AS forecast_date,
    p.date + 1 AS target_start,
    p.date + 7 AS target_end,
    CAST(p.store_key AS String) AS store_key,
    CAST(p.product_key AS String) AS product_key,
    CAST(p.model_version AS String) AS model_version,
    CAST(p.forecast_source AS String) AS forecast_source,
    p.predicted_demand AS forecast_units,
    toFloat64(sum(i.sold)) AS actual_units
FROM
(
    SELECT date, store_key, product_key, model_version, forecast_source, predicted_demand,
           date + arrayJoin(range(1, 8)) AS target_day
    FROM fact_ml_predictions FINAL
) AS p
INNER JOIN
(
    SELECT date, store_key, product_key, sold, store_silent FROM fact_inventory FINAL
) AS i ON i.store_key = p.store_key AND i.product_key = p.product_key AND i.date = p.target_day
GROUP BY p.date, p.store_key, p.product_key, p.model_version, p.forecast_source, p.predicted_demand
HAVING count() = 7 AND NOT max(i.store_silent);
