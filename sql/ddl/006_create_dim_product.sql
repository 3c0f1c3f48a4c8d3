-- Products with their supplier's terms (reference/products joined to reference/suppliers).
CREATE TABLE IF NOT EXISTS dim_product
(
    product_key         String,
    sku                 String,
    name                String,
    category            LowCardinality(String),
    sub_category        LowCardinality(String),
    brand               LowCardinality(String),
    supplier_id         LowCardinality(String),
    supplier            String,
    unit_cost           Float64,
    list_price          Float64,
    case_pack           Int32,
    shelf_life_days     Int32,
    lead_time_days      Float64,
    lead_time_std_days  Float64,
    min_order_units     Int32
)
ENGINE = ReplacingMergeTree
ORDER BY product_key;

CREATE TABLE IF NOT EXISTS dim_product_staging AS dim_product;
