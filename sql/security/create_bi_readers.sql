-- ClickHouse credentials for Power BI and analysts, applied on a ClickHouse server by
-- `shelfwise warehouse secure` (the embedded chdb engine keeps no users: access control needs a server).
-- Grants name every table: a table added to the warehouse is readable by no BI credential until it is named
-- here, and, when it holds store-level rows, given a row policy in this file and in create_region_reader.sql
-- (tests/integration/test_row_policies.py fails otherwise).

-- bi_reader: the tables of the semantic model and of the dashboards. Not store_access (every viewer's
-- e-mail), dq_results, inventory_live, the staging tables or the load bookkeeping.
CREATE ROLE OR REPLACE bi_reader;
GRANT SELECT ON {database}.dim_date TO bi_reader;
GRANT SELECT ON {database}.dim_product TO bi_reader;
GRANT SELECT ON {database}.dim_store TO bi_reader;
GRANT SELECT ON {database}.fact_sales TO bi_reader;
GRANT SELECT ON {database}.fact_inventory TO bi_reader;
GRANT SELECT ON {database}.fact_ml_predictions TO bi_reader;
GRANT SELECT ON {database}.fact_sales_anomalies TO bi_reader;
GRANT SELECT ON {database}.fact_slow_movers TO bi_reader;
GRANT SELECT ON {database}.fact_cross_sell TO bi_reader;
GRANT SELECT ON {database}.forecast_vs_actual TO bi_reader;
GRANT SELECT ON {database}.daily_sales_summary TO bi_reader;
GRANT SELECT ON {database}.inventory_by_store TO bi_reader;
GRANT SELECT ON {database}.stock_movements TO bi_reader;
GRANT SELECT ON {database}.product_performance TO bi_reader;

-- bi_executive: every store, plus the data-quality results.
-- Every run sets the password it prints. CREATE ... IF NOT EXISTS then ALTER, not CREATE USER OR REPLACE:
-- replacing is a drop and a create (a new user: grants, settings and host limits an admin added are gone; recent
-- servers also ask DROP USER for it). ALTER keeps the user, and IDENTIFIED (not ADD IDENTIFIED) leaves the new
-- password as its only one. Names pass a whitelist and strings arrive quoted (infra/warehouse_security.py).
CREATE USER IF NOT EXISTS bi_executive IDENTIFIED WITH sha256_password BY {executive_password};
ALTER USER bi_executive IDENTIFIED WITH sha256_password BY {executive_password};
GRANT bi_reader TO bi_executive;
GRANT SELECT ON {database}.dq_results TO bi_executive;

-- bi_refresh: the credential the Power BI semantic model refreshes with. The model's row-level security
-- roles filter every viewer through store_access, so this one credential reads it; no other does.
CREATE USER IF NOT EXISTS bi_refresh IDENTIFIED WITH sha256_password BY {refresh_password};
ALTER USER bi_refresh IDENTIFIED WITH sha256_password BY {refresh_password};
GRANT bi_reader TO bi_refresh;
GRANT SELECT ON {database}.dq_results TO bi_refresh;
GRANT SELECT ON {database}.store_access TO bi_refresh;

-- With a row policy on a table, a user without one may read nothing (depending on the server's
-- users_without_row_policies_can_read_rows): the chain-wide credentials get an explicit all-rows policy on
-- every table the region readers are policed on.
CREATE ROW POLICY OR REPLACE bi_chain_all ON {database}.fact_sales, {database}.fact_inventory, {database}.fact_ml_predictions, {database}.fact_sales_anomalies, {database}.fact_slow_movers, {database}.fact_cross_sell, {database}.daily_sales_summary, {database}.inventory_by_store, {database}.stock_movements, {database}.dim_store FOR SELECT USING 1 TO bi_executive, bi_refresh;
