-- Forecast accuracy on the days forecast. A fact_ml_predictions row dated D is made after the close of D
-- (spark/ml/scoring.py): predicted_demand is the forecast TOTAL of units sold over the 7 days D+1..D+7 (the
-- model sums its horizon-day forecasts h = 1..7; the baseline is 7 x the 28-day daily mean), daily_mean is
-- that total / 7, and confidence_low/high bound the 7-day total (a 90% interval per store x SKU).
-- Each forecast is paired with the units sold on exactly those 7 days, and only when all 7 are loaded.
-- Actuals are fact_inventory.sold: the ledger's units sold, what daily_features.units_sold (the model's
-- label) is built from. fact_inventory has a row for every store x SKU x day, so a day with no sale reads 0
-- and a day not loaded yet is missing; fact_sales has no row on a day without sales, and its net quantity
-- also carries returns, which the forecast does not predict.
-- SQL SECURITY INVOKER: the reader's own row policies on both tables apply (sql/security/).
CREATE VIEW IF NOT EXISTS forecast_vs_actual
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
    SELECT date, store_key, product_key, sold FROM fact_inventory FINAL
) AS i ON i.store_key = p.store_key AND i.product_key = p.product_key AND i.date = p.target_day
GROUP BY p.date, p.store_key, p.product_key, p.model_version, p.forecast_source, p.predicted_demand
HAVING count() = 7;
