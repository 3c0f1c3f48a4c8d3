-- cross_sell, one row per list x product x rank and week (date = the week's Monday): a product's 10 most
-- related products. store_key 'ALL' holds the chain-wide lists (every store's baskets); a store's key holds
-- that store's lists (its own baskets, blended with the chain's factors for products it rarely sells). The
-- recall@10 columns are the list's scope's held-out figures: the chain's on 'ALL' rows, the store's otherwise.
CREATE TABLE IF NOT EXISTS fact_cross_sell
(
    date                        Date,
    date_key                    Int32,
    store_key                   LowCardinality(String),
    product_key                 LowCardinality(String),
    related_product_key         LowCardinality(String),
    rank                        Int32,
    affinity                    Float64 CODEC(Gorilla, ZSTD(1)),
    baskets_together            Int64,
    method                      LowCardinality(String),
    recall_at_10_als            Nullable(Float64),
    recall_at_10_popularity     Nullable(Float64),
    recall_at_10_co_occurrence  Nullable(Float64),
    eval_baskets                Nullable(Int64),
    loaded_at                   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(loaded_at)
PARTITION BY toYYYYMM(date)
ORDER BY (store_key, product_key, date, rank);

CREATE TABLE IF NOT EXISTS fact_cross_sell_staging AS fact_cross_sell;
