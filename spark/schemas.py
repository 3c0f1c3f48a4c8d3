"""Column contracts of the raw event assets and dimensions, shared by the simulator, ingest and downstream
jobs.

Types are Spark SQL type names so the same lists build Spark schemas and pandera/pyarrow checks.
"""

from __future__ import annotations

# Kafka topics (the seed's names) and the raw asset each lands in.
TOPICS = {
    "sales-transactions": "raw_sales",
    "supplier-shipments": "raw_receipts",
    "inventory-updates": "raw_inventory_updates",
    "price-changes": "raw_price_changes",
    "purchase-orders": "raw_purchase_orders",
}
DEAD_LETTER_TOPIC = "pos-dead-letter"
RESTOCK_ALERTS_TOPIC = "restock-alerts"

# Every raw row also carries where it came from, so a rerun over the same offsets is recognisable.
INGEST_COLUMNS = [("kafka_partition", "int"), ("kafka_offset", "bigint"), ("date", "date")]

RAW_SALES = [
    ("event_id", "string"),
    ("kind", "string"),  # sale | return
    ("basket_id", "string"),
    ("store_id", "string"),
    ("terminal_id", "string"),
    ("sku", "string"),
    ("quantity", "int"),  # always > 0; a return adds stock back
    ("unit_price", "double"),
    ("discount", "double"),  # currency off the line, >= 0
    ("ts", "timestamp"),
]

RAW_RECEIPTS = [
    ("event_id", "string"),
    ("store_id", "string"),
    ("sku", "string"),
    ("supplier_id", "string"),
    ("po_id", "string"),
    ("quantity", "int"),
    ("unit_cost", "double"),
    ("ts", "timestamp"),
]

RAW_INVENTORY_UPDATES = [
    ("event_id", "string"),
    ("kind", "string"),  # count (quantity = units counted on shelf) | adjustment (quantity = signed delta)
    ("store_id", "string"),
    ("sku", "string"),
    ("quantity", "int"),
    ("reason", "string"),  # shrinkage, damage, cycle_count, ...
    ("ts", "timestamp"),
]

RAW_PRICE_CHANGES = [
    ("event_id", "string"),
    ("store_id", "string"),
    ("sku", "string"),
    ("price", "double"),
    ("promo", "boolean"),
    ("ts", "timestamp"),
]

# A store's purchase orders to its suppliers. An order is placed once; a supplier may cancel what it will not
# deliver (quantity = units cancelled). Receipts name the order they fulfil in `po_id`, possibly in parts.
RAW_PURCHASE_ORDERS = [
    ("event_id", "string"),
    ("kind", "string"),  # placed | cancelled
    ("po_id", "string"),
    ("store_id", "string"),
    ("sku", "string"),
    ("supplier_id", "string"),
    ("quantity", "int"),  # units ordered (placed) or cancelled (cancelled), always > 0
    ("expected_arrival", "timestamp"),  # when the supplier promised the delivery
    ("ts", "timestamp"),  # when the order was placed or cancelled
]

RAW_SCHEMAS = {
    "raw_sales": RAW_SALES,
    "raw_receipts": RAW_RECEIPTS,
    "raw_inventory_updates": RAW_INVENTORY_UPDATES,
    "raw_price_changes": RAW_PRICE_CHANGES,
    "raw_purchase_orders": RAW_PURCHASE_ORDERS,
}

DIM_STORES = [
    ("store_id", "string"),
    ("name", "string"),
    ("city", "string"),
    ("region", "string"),
    ("country", "string"),
    ("square_footage", "int"),
    ("store_type", "string"),
    ("opens_at_hour", "int"),
    ("closes_at_hour", "int"),
]

DIM_PRODUCTS = [
    ("sku", "string"),
    ("name", "string"),
    ("category", "string"),
    ("sub_category", "string"),
    ("brand", "string"),
    ("supplier_id", "string"),
    ("unit_cost", "double"),
    ("list_price", "double"),
    ("case_pack", "int"),
    ("shelf_life_days", "int"),
]

DIM_SUPPLIERS = [
    ("supplier_id", "string"),
    ("name", "string"),
    ("lead_time_days", "double"),
    ("lead_time_std_days", "double"),
    ("min_order_units", "int"),
]

QUARANTINE = [
    ("topic", "string"),
    ("kafka_partition", "int"),
    ("kafka_offset", "bigint"),
    ("payload", "string"),
    ("reason", "string"),
    ("detail", "string"),
    ("quarantined_at", "timestamp"),
]


ARROW_TYPES = {"string": "string", "int": "int32", "bigint": "int64", "double": "float64", "boolean": "bool_"}


def arrow_type(kind: str):
    """The pyarrow type of a Spark SQL type name (timestamps in UTC, as Spark's session time zone)."""
    import pyarrow as pa  # lazy: pyarrow ~35 ms; the CLI and DAG parse import this module

    return pa.timestamp("us", tz="UTC") if kind == "timestamp" else getattr(pa, ARROW_TYPES[kind])()


def arrow_schema(columns: list[tuple[str, str]]):
    """A pyarrow schema from a column list (pyarrow imported only here)."""
    import pyarrow as pa  # lazy: pyarrow ~35 ms; the CLI and DAG parse import this module

    return pa.schema([(name, arrow_type(kind)) for name, kind in columns])


def spark_schema(columns: list[tuple[str, str]]):
    """A pyspark StructType from a column list (pyspark imported only here)."""
    from pyspark.sql.types import StructType  # lazy: pyspark ~45 ms; the CLI and DAG parse import this module

    return StructType.fromDDL(", ".join(f"`{n}` {t}" for n, t in columns)) if columns else StructType([])


