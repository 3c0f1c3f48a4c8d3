-- Who may see which stores in Power BI: the model's row-level security roles filter dim_store through this
-- table with USERPRINCIPALNAME() (Power BI cannot pass the viewer to ClickHouse). A store manager has one
-- row per store, a regional manager one row per region (store_key empty), an executive one row with role
-- 'executive'. Maintained by the retail operations team; a plain MergeTree replaced whole on change.
CREATE TABLE IF NOT EXISTS store_access
(
    user_principal  String,
    role            LowCardinality(String),
    store_key       String,
    region          String
)
ENGINE = ReplacingMergeTree
ORDER BY (user_principal, role, store_key, region);
