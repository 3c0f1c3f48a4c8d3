"""Raw POS event assets: what the stores sent, validated, by business day. Built by the Kafka ingest job."""

from assets.model import AssetSpec, Freshness, Gate, Lake, WarehouseTable, as_of_build

_INGEST = "spark.jobs.ingest"
# The ingest quarantines events naming a store or SKU the reference dimensions do not hold.
_KNOWN_IDS = (as_of_build("stores"), as_of_build("products"))

raw_sales = AssetSpec(
    name="raw_sales",
    description="Sale and return lines from the POS `sales-transactions` topic, one row per event_id.",
    job=f"{_INGEST}:ingest_sales",
    storage=Lake("raw/sales"),
    upstream=_KNOWN_IDS,
    contract="raw_sales",
    gate=Gate(),
    # the dimensions load with it too: its daily_sales_summary reports by store
    warehouse=WarehouseTable("fact_sales", "infra.warehouse_load:sales_rows", dimensions=True),
    freshness=Freshness(max_lag_minutes=15),
    tags=("pos", "source"),
)

raw_receipts = AssetSpec(
    name="raw_receipts",
    description="Supplier deliveries received in store, from the `supplier-shipments` topic.",
    job=f"{_INGEST}:ingest_receipts",
    storage=Lake("raw/receipts"),
    upstream=_KNOWN_IDS,
    contract="raw_receipts",
    tags=("pos", "source"),
)

raw_inventory_updates = AssetSpec(
    name="raw_inventory_updates",
    description="Stock counts and manual adjustments, from the `inventory-updates` topic.",
    job=f"{_INGEST}:ingest_inventory_updates",
    storage=Lake("raw/inventory_updates"),
    upstream=_KNOWN_IDS,
    contract="raw_inventory_updates",
    tags=("pos", "source"),
)

raw_price_changes = AssetSpec(
    name="raw_price_changes",
    description="Shelf price changes and promotions, from the `price-changes` topic.",
    job=f"{_INGEST}:ingest_price_changes",
    storage=Lake("raw/price_changes"),
    upstream=_KNOWN_IDS,
    contract="raw_price_changes",
    tags=("pos", "source"),
)

raw_purchase_orders = AssetSpec(
    name="raw_purchase_orders",
    description=(
        "Purchase order lines placed with suppliers and the ones suppliers cancelled, from the "
        "`purchase-orders` topic (receipts name the order they fulfil in po_id)."
    ),
    job=f"{_INGEST}:ingest_purchase_orders",
    storage=Lake("raw/purchase_orders"),
    upstream=(*_KNOWN_IDS, as_of_build("suppliers")),  # its gate checks each line's supplier too
    contract="raw_purchase_orders",
    gate=Gate(),
    tags=("pos", "source"),
)

ASSETS = (raw_sales, raw_receipts, raw_inventory_updates, raw_price_changes, raw_purchase_orders)
