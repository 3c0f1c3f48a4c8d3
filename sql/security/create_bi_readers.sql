-- ClickHouse credentials for Power BI and analysts, applied on a ClickHouse server by
-- `shelfwise warehouse secure` (the embedded chdb engine has no users: access control needs a server).
-- Every credential reads through row policies; with row policies on a table, a user without one reads nothing,
-- so the executive gets an explicit all-rows policy.
CREATE ROLE IF NOT EXISTS bi_reader;
GRANT SELECT ON {database}.* TO bi_reader;
CREATE USER IF NOT EXISTS bi_executive IDENTIFIED WITH sha256_password BY '{password}' DEFAULT ROLE bi_reader;
GRANT bi_reader TO bi_executive;
CREATE ROW POLICY OR REPLACE executive_all ON {database}.fact_sales, {database}.fact_inventory, {database}.fact_ml_predictions, {database}.fact_sales_anomalies, {database}.fact_slow_movers, {database}.fact_cross_sell, {database}.dim_store FOR SELECT USING 1 TO bi_executive;
