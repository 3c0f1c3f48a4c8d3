-- One read-only credential per region: it sees that region's stores in every store-keyed table.
CREATE USER IF NOT EXISTS {user} IDENTIFIED WITH sha256_password BY '{password}' DEFAULT ROLE bi_reader;
GRANT bi_reader TO {user};
CREATE ROW POLICY OR REPLACE {user}_stores ON {database}.fact_sales, {database}.fact_inventory, {database}.fact_ml_predictions, {database}.fact_sales_anomalies, {database}.fact_slow_movers FOR SELECT USING store_key IN (SELECT store_key FROM {database}.dim_store WHERE region = '{region}') TO {user};
CREATE ROW POLICY OR REPLACE {user}_dim ON {database}.dim_store FOR SELECT USING region = '{region}' TO {user};
-- Cross-sell lists: the chain-wide ones (store_key 'ALL', no dim_store row) are for every region, plus its stores'.
CREATE ROW POLICY OR REPLACE {user}_lists ON {database}.fact_cross_sell FOR SELECT USING store_key = 'ALL' OR store_key IN (SELECT store_key FROM {database}.dim_store WHERE region = '{region}') TO {user};
