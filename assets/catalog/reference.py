"""The reference dimensions: the chain's master data (stores, products, suppliers), written to the lake as
whole tables by the systems that own them (here the simulator). Assets read them as of build (`as_of_build`):
a change reaches every partition built after it and rebuilds none built before."""

from assets.model import AssetSpec, Gate, Lake

_OBSERVE = "spark.jobs.reference:observe_reference"

stores = AssetSpec(
    name="stores",
    description="Stores with their region, format and opening hours.",
    job=_OBSERVE,
    storage=Lake("reference/stores"),
    partitioning="none",
    contract="stores",
    gate=Gate(),
    tags=("reference", "source"),
)

products = AssetSpec(
    name="products",
    description="SKUs with category, unit cost, list price, case pack and supplier.",
    job=_OBSERVE,
    storage=Lake("reference/products"),
    partitioning="none",
    contract="products",
    gate=Gate(),
    tags=("reference", "source"),
)

suppliers = AssetSpec(
    name="suppliers",
    description="Suppliers with their lead time (mean and spread) and minimum order.",
    job=_OBSERVE,
    storage=Lake("reference/suppliers"),
    partitioning="none",
    contract="suppliers",
    gate=Gate(),
    tags=("reference", "source"),
)

ASSETS = (stores, products, suppliers)
