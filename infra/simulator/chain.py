"""The simulated chain's master data: stores, suppliers and products (the reference dimensions).

Everything derives from one numpy Generator, so a seed fixes the whole chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infra.lake import lake_fs, lake_path
from spark.schemas import DIM_PRODUCTS, DIM_STORES, DIM_SUPPLIERS, arrow_type

CITIES = (
    ("Leeds", "North"), ("York", "North"), ("Newcastle", "North"), ("Manchester", "North West"),
    ("Liverpool", "North West"), ("Birmingham", "Midlands"), ("Nottingham", "Midlands"),
    ("Leicester", "Midlands"),
    ("Bristol", "South West"), ("Exeter", "South West"), ("London", "London"), ("Brighton", "South East"),
    ("Oxford", "South East"), ("Norwich", "East"), ("Cambridge", "East"), ("Cardiff", "Wales"),
)  # fmt: skip
# store type: (share of stores, square footage range, size factor per 10k sq ft, opening hours, terminals)
STORE_TYPES = {
    "express": (0.4, (2_500, 6_000), (7, 23), 2),
    "supermarket": (0.45, (8_000, 25_000), (8, 21), 5),
    "hypermarket": (0.15, (40_000, 90_000), (8, 22), 12),
}
# category: (sub-categories, price range, shelf life days, yearly peak day-of-year, seasonal amplitude)
CATEGORIES = {
    "beverages": (("soft drinks", "water", "juice"), (0.8, 4.0), 270, 200, 0.35),
    "dairy": (("milk", "yoghurt", "cheese"), (0.9, 6.0), 14, 30, 0.05),
    "bakery": (("bread", "pastry"), (0.7, 4.5), 4, 355, 0.1),
    "produce": (("fruit", "vegetables"), (0.5, 5.0), 10, 190, 0.2),
    "frozen": (("ice cream", "ready meals"), (2.0, 8.0), 365, 195, 0.45),
    "household": (("cleaning", "paper"), (1.5, 12.0), 1_000, 100, 0.05),
    "personal care": (("hair", "oral care"), (1.5, 15.0), 900, 0, 0.05),
    "confectionery": (("chocolate", "sweets"), (0.6, 5.0), 240, 355, 0.4),
}
BRANDS = (
    "Acme",
    "Northfield",
    "Greenvale",
    "Brightside",
    "Harbour",
    "Oakwood",
    "Sunny Day",
    "Castle",
    "Meadow",
)
SUPPLIER_NAMES = ("Fresh", "United", "Central", "Coastal", "Premier", "Valley", "Crown", "Summit")


@dataclass
class Chain:
    """Stores, products and suppliers as column arrays (index i = store i / product i)."""

    stores: dict[str, np.ndarray]
    products: dict[str, np.ndarray]
    suppliers: dict[str, np.ndarray]
    store_size: np.ndarray  # demand multiplier per store
    terminals: np.ndarray  # tills per store
    popularity: np.ndarray  # units per day in a size-1 store at list price, per product
    elasticity: np.ndarray  # price elasticity per product (positive number)
    season_peak: np.ndarray  # day of year of the product's category peak
    season_amplitude: np.ndarray

    @property
    def n_stores(self) -> int:
        return len(self.stores["store_id"])

    @property
    def n_skus(self) -> int:
        return len(self.products["sku"])


def build_chain(rng: np.random.Generator, n_stores: int, n_skus: int) -> Chain:
    """A chain of `n_stores` stores selling `n_skus` products from a handful of suppliers."""
    stores, size, terminals = _stores(rng, n_stores)
    suppliers = _suppliers(rng, max(3, n_skus // 25))
    products, season_peak, season_amplitude = _products(rng, n_skus, suppliers["supplier_id"])
    ranks = rng.permutation(n_skus) + 1
    # Zipf popularity: the best seller moves ~60 units a day in a mid-size supermarket, the tail under one.
    popularity = 60.0 / ranks**1.05 * rng.lognormal(0.0, 0.15, n_skus) * max(1.0, 200 / n_skus) ** 0.5
    elasticity = rng.uniform(1.2, 2.6, n_skus)
    return Chain(
        stores, products, suppliers, size, terminals, popularity, elasticity, season_peak, season_amplitude
    )


def _stores(rng: np.random.Generator, n: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    names = list(STORE_TYPES)
    kinds = rng.choice(names, size=n, p=[STORE_TYPES[k][0] for k in names])
    city_index = rng.permutation(max(n, len(CITIES)))[:n] % len(CITIES)
    sqft = np.array([rng.integers(*STORE_TYPES[k][1]) for k in kinds])
    opens = np.array([STORE_TYPES[k][2][0] for k in kinds]) + rng.integers(0, 2, n)
    closes = np.array([STORE_TYPES[k][2][1] for k in kinds]) - rng.integers(0, 2, n)
    ids = np.array([f"S{i + 1:03d}" for i in range(n)])
    city = np.array([CITIES[i][0] for i in city_index])
    stores = {
        "store_id": ids,
        "name": np.array(
            [f"{c} {k.title()} {i + 1}" for i, (c, k) in enumerate(zip(city, kinds, strict=True))]
        ),
        "city": city,
        "region": np.array([CITIES[i][1] for i in city_index]),
        "country": np.full(n, "GB"),
        "square_footage": sqft,
        "store_type": kinds,
        "opens_at_hour": opens,
        "closes_at_hour": closes,
    }
    size = np.sqrt(sqft / 15_000.0)
    terminals = np.array([STORE_TYPES[k][3] for k in kinds])
    return stores, size, terminals


def _suppliers(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    return {
        "supplier_id": np.array([f"SUP{i + 1:02d}" for i in range(n)]),
        "name": np.array([f"{SUPPLIER_NAMES[i % len(SUPPLIER_NAMES)]} Foods {i + 1}" for i in range(n)]),
        "lead_time_days": np.round(rng.uniform(1.5, 6.0, n), 1),
        "lead_time_std_days": np.round(rng.uniform(0.3, 1.2, n), 2),
        "min_order_units": rng.choice([6, 12, 24, 48], n),
    }


def _products(rng: np.random.Generator, n: int, supplier_ids: np.ndarray):
    categories = list(CATEGORIES)
    category = rng.choice(categories, n)
    info = [CATEGORIES[c] for c in category]
    sub = np.array([rng.choice(i[0]) for i in info])
    brand = rng.choice(BRANDS, n)
    price = np.round(np.array([rng.uniform(*i[1]) for i in info]), 2)
    products = {
        "sku": np.array([f"SKU{i + 1:05d}" for i in range(n)]),
        "name": np.array([f"{b} {s} {i + 1}" for i, (b, s) in enumerate(zip(brand, sub, strict=True))]),
        "category": category,
        "sub_category": sub,
        "brand": brand,
        "supplier_id": rng.choice(supplier_ids, n),
        "unit_cost": np.round(price * rng.uniform(0.55, 0.75, n), 2),
        "list_price": price,
        "case_pack": rng.choice([6, 12, 24], n),
        "shelf_life_days": np.array([i[2] for i in info]),
    }
    return products, np.array([i[3] for i in info]), np.array([i[4] for i in info])


def dimension_tables(chain: Chain) -> dict[str, object]:
    """The three reference dimensions as pyarrow tables, columns and types as in spark/schemas.py."""
    import pyarrow as pa  # lazy: pyarrow ~35 ms; the CLI imports this module at start

    def table(columns: dict[str, np.ndarray], contract: list[tuple[str, str]]):
        return pa.table({name: pa.array(columns[name].tolist(), arrow_type(kind)) for name, kind in contract})

    return {
        "stores": table(chain.stores, DIM_STORES),
        "products": table(chain.products, DIM_PRODUCTS),
        "suppliers": table(chain.suppliers, DIM_SUPPLIERS),
    }


def write_reference(settings, chain: Chain) -> list[str]:
    """Replace `reference/{stores,products,suppliers}` in the lake with this chain's snapshot."""
    import pyarrow.parquet as pq  # lazy: pyarrow ~35 ms; the CLI imports this module at start

    fs, written = lake_fs(settings), []
    for name, table in dimension_tables(chain).items():
        folder = lake_path(settings, f"reference/{name}")
        if fs.exists(folder):
            fs.rm(folder, recursive=True)
        fs.makedirs(folder, exist_ok=True)
        pq.write_table(table, f"{folder}/part-0.parquet", filesystem=fs)
        written.append(folder)
    return written
