-- One read-only credential per region: the tables of role bi_reader (create_bi_readers.sql), and in every
-- one that holds store-level rows only that region's stores. forecast_vs_actual is a SQL SECURITY INVOKER
-- view, so these policies on fact_ml_predictions and fact_inventory bound it too.
-- The password as in create_bi_readers.sql: created once, set on every run. {region} and {password} arrive
-- as quoted string literals (infra/warehouse_security.py).
CREATE USER IF NOT EXISTS {user} IDENTIFIED WITH sha256_password BY {password};
ALTER USER {user} IDENTIFIED WITH sha256_password BY {password};
GRANT bi_reader TO {user};
CREATE ROW POLICY OR REPLACE {user}_stores ON {database}.fact_sales, {database}.fact_inventory, {database}.fact_ml_predictions, {database}.fact_sales_anomalies, {database}.fact_slow_movers, {database}.daily_sales_summary, {database}.inventory_by_store, {database}.stock_movements FOR SELECT USING store_key IN (SELECT store_key FROM {database}.dim_store WHERE region = {region}) TO {user};
CREATE ROW POLICY OR REPLACE {user}_dim ON {database}.dim_store FOR SELECT USING region = {region} TO {user};
-- Cross-sell lists: the chain-wide ones (store_key 'ALL', no dim_store row) are for every region, plus its stores'.
CREATE ROW POLICY OR REPLACE {user}_lists ON {database}.fact_cross_sell FOR SELECT USING store_key = 'ALL' OR store_key IN (SELECT store_key FROM {database}.dim_store WHERE region = {region}) TO {user};
