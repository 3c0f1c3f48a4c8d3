-- Loads stage into copies of their own (`<table>_staging_<load id>`, infra/warehouse_swap.py), made from the
-- table's DDL and dropped after each load: the staging tables every load once shared go.
DROP TABLE IF EXISTS fact_inventory_staging SYNC;
DROP TABLE IF EXISTS fact_ml_predictions_staging SYNC;
DROP TABLE IF EXISTS fact_sales_staging SYNC;
DROP TABLE IF EXISTS dim_store_staging SYNC;
DROP TABLE IF EXISTS dim_product_staging SYNC;
DROP TABLE IF EXISTS dim_date_staging SYNC;
DROP TABLE IF EXISTS daily_sales_summary_staging SYNC;
DROP TABLE IF EXISTS inventory_by_store_staging SYNC;
DROP TABLE IF EXISTS product_performance_staging SYNC;
DROP TABLE IF EXISTS stock_movements_staging SYNC;
DROP TABLE IF EXISTS fact_sales_anomalies_staging SYNC;
DROP TABLE IF EXISTS fact_slow_movers_staging SYNC;
DROP TABLE IF EXISTS fact_cross_sell_staging SYNC;
