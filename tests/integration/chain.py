"""A tiny simulated chain written straight into a file lake: reference dimensions and raw event partitions.

Shaped exactly like the ingest job's output (`date=YYYY-MM-DD/part-0.parquet` holding the RAW_* columns plus
kafka_partition and kafka_offset, and the `_partitions.json` index), so derived jobs run on it unchanged.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from infra.lake import lake_fs, lake_path, write_partition_versions
from infra.settings import Settings
from spark.schemas import DIM_PRODUCTS, DIM_STORES, DIM_SUPPLIERS, RAW_SCHEMAS

RAW_PATHS = {
    "raw_sales": "raw/sales",
    "raw_receipts": "raw/receipts",
    "raw_inventory_updates": "raw/inventory_updates",
    "raw_price_changes": "raw/price_changes",
    "raw_purchase_orders": "raw/purchase_orders",
}
START = date(2026, 1, 5)  # a Monday


def dimensions(stores: int, skus: int) -> dict[str, pd.DataFrame]:
    """Reference dimensions with the DIM_* columns."""
    store_rows = pd.DataFrame(
        {
            "store_id": [f"S{i:02d}" for i in range(stores)],
            "name": [f"Store {i}" for i in range(stores)],
            "city": "Leeds",
            "region": ["North", "South", "East", "West"][:1] * stores,
            "country": "UK",
            "square_footage": [1500 + 100 * i for i in range(stores)],
            "store_type": "express",
            "opens_at_hour": 8,
            "closes_at_hour": 20,
        }
    )
    product_rows = pd.DataFrame(
        {
            "sku": [f"P{i:03d}" for i in range(skus)],
            "name": [f"Product {i}" for i in range(skus)],
            "category": ["grocery", "household"][:1] * skus,
            "sub_category": "staples",
            "brand": "Acme",
            "supplier_id": ["SUP1", "SUP2"] * (skus // 2) + ["SUP1"] * (skus % 2),
            "unit_cost": [1.0 + i for i in range(skus)],
            "list_price": [2.0 + 1.5 * i for i in range(skus)],
            "case_pack": 6,
            "shelf_life_days": 30,
        }
    )
    suppliers = pd.DataFrame(
        {
            "supplier_id": ["SUP1", "SUP2"],
            "name": ["North Foods", "South Goods"],
            "lead_time_days": [2.0, 4.0],
            "lead_time_std_days": [0.5, 1.0],
            "min_order_units": [12, 6],
        }
    )
    return {
        "stores": _typed(store_rows, DIM_STORES),
        "products": _typed(product_rows, DIM_PRODUCTS),
        "suppliers": _typed(suppliers, DIM_SUPPLIERS),
    }


# Monday..Sunday demand relative to an average day: a grocery week, quiet early on, busy at the weekend
# (strong enough that a forecast must learn it to beat the 28-day mean).
WEEKDAY_PROFILE = (0.7, 0.75, 0.8, 0.9, 1.15, 1.8, 1.9)


def events(
    stores: pd.DataFrame, products: pd.DataFrame, days: int, seed: int = 3, promo_lift: float | None = None
) -> dict[str, pd.DataFrame]:
    """Raw events per asset: weekly-seasonal sales, returns, receipts every third day (each ordered two
    evenings before, from the second day on), an opening count, damage adjustments, the opening price list
    and fortnightly promotions. Without `promo_lift` a promotion is a price change that moves no demand;
    with it, promotions run Thursday to Sunday of even ISO weeks, end on Monday, and multiply demand."""
    rng = np.random.default_rng(seed)
    rows = {name: [] for name in RAW_PATHS}
    for d in range(days):
        day = START + timedelta(days=d)
        for s in stores["store_id"]:
            for i, sku in enumerate(products["sku"]):
                _day_events(rows, rng, day, s, sku, i, d, promo_lift)
    return {name: pd.DataFrame(r) for name, r in rows.items()}


def on_promotion(day: date) -> bool:
    """The promotion calendar of `events(..., promo_lift=...)`: Thursday to Sunday of even ISO weeks."""
    return day.isocalendar().week % 2 == 0 and day.weekday() >= 3


def _rate(day: date, i: int, promo_lift: float | None) -> float:
    """Expected units sold of the i-th SKU on `day` in one store."""
    lift = promo_lift if promo_lift is not None and on_promotion(day) else 1.0
    return (2.0 + i) * WEEKDAY_PROFILE[day.weekday()] * lift


def _day_events(rows, rng, day, store, sku, i, d, promo_lift=None) -> None:
    at = lambda hour: datetime(day.year, day.month, day.day, hour, int(rng.integers(0, 60)))  # noqa: E731
    rate = _rate(day, i, promo_lift)
    ident = f"{store}-{sku}-{day}"
    if d == 0:
        rows["raw_inventory_updates"].append(
            dict(
                event_id=f"c-{ident}",
                kind="count",
                store_id=store,
                sku=sku,
                quantity=40,
                reason="cycle_count",
                ts=at(7),
            )
        )
    for n in range(int(rng.poisson(rate))):
        rows["raw_sales"].append(
            dict(
                event_id=f"s-{ident}-{n}",
                kind="sale",
                basket_id=f"b-{ident}-{n}",
                store_id=store,
                terminal_id="T1",
                sku=sku,
                quantity=1,
                unit_price=2.0 + i,
                discount=0.0,
                ts=at(int(rng.integers(8, 20))),
            )
        )
    if rng.random() < 0.05:
        rows["raw_sales"].append(
            dict(
                event_id=f"r-{ident}",
                kind="return",
                basket_id=f"rb-{ident}",
                store_id=store,
                terminal_id="T1",
                sku=sku,
                quantity=1,
                unit_price=2.0 + i,
                discount=0.0,
                ts=at(12),
            )
        )
    if (d + i) % 3 == 0:  # every SKU every third day, so each day has receipts; even SKUs run short
        rows["raw_receipts"].append(
            dict(
                event_id=f"g-{ident}",
                store_id=store,
                sku=sku,
                supplier_id="SUP1",
                po_id=f"po-{ident}",
                quantity=int((2.6 + 1.2 * (i % 2)) * rate),
                unit_cost=1.0 + i,
                ts=at(9),
            )
        )
    due = day + timedelta(days=2)
    if (d + 2 + i) % 3 == 0:  # the order of the receipt two days later, placed after closing
        rows["raw_purchase_orders"].append(
            dict(
                event_id=f"o-{store}-{sku}-{due}",
                kind="placed",
                po_id=f"po-{store}-{sku}-{due}",
                store_id=store,
                sku=sku,
                supplier_id="SUP1",
                quantity=int((2.6 + 1.2 * (i % 2)) * _rate(due, i, promo_lift)),
                expected_arrival=datetime(due.year, due.month, due.day, 9),
                ts=datetime(day.year, day.month, day.day, 21, 30),
            )
        )
    if rng.random() < 0.04 or d % 3 == i % 3:  # some damage every day
        rows["raw_inventory_updates"].append(
            dict(
                event_id=f"a-{ident}",
                kind="adjustment",
                store_id=store,
                sku=sku,
                quantity=-1,
                reason="damage",
                ts=at(15),
            )
        )
    if d == 0:  # the opening price list
        rows["raw_price_changes"].append(
            dict(event_id=f"l-{ident}", store_id=store, sku=sku, price=2.0 + 1.5 * i, promo=False, ts=at(6))
        )
    if promo_lift is None and day.weekday() == 3 and d % 14 == 3:
        rows["raw_price_changes"].append(
            dict(event_id=f"p-{ident}", store_id=store, sku=sku, price=1.8 + i, promo=True, ts=at(6))
        )
    if promo_lift is not None and on_promotion(day) != on_promotion(day - timedelta(days=1)):
        promo = on_promotion(day)
        price = 1.8 + i if promo else 2.0 + 1.5 * i
        rows["raw_price_changes"].append(
            dict(event_id=f"p-{ident}", store_id=store, sku=sku, price=price, promo=promo, ts=at(6))
        )


def write_lake(settings: Settings, dims: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame]) -> dict:
    """Write dimensions and raw partitions; returns {asset: {day: version}} as the source index has it."""
    for name, frame in dims.items():
        _write_parquet(settings, frame, f"reference/{name}")
    return {asset: write_raw(settings, asset, raw.get(asset, pd.DataFrame())) for asset in RAW_PATHS}


def write_raw(settings: Settings, asset: str, frame: pd.DataFrame) -> dict[str, str]:
    """One raw asset's day partitions and its `_partitions.json` index (content-derived versions)."""
    columns = RAW_SCHEMAS[asset]
    versions = {}
    if frame.empty:
        frame = pd.DataFrame({c: [] for c, _ in columns} | {"ts": pd.Series([], dtype="datetime64[us]")})
        frame["date"] = pd.Series([], dtype=str)
    else:
        frame = frame.assign(date=pd.to_datetime(frame["ts"]).dt.date.astype(str))
    for day, part in frame.groupby("date"):
        part = _typed(part.drop(columns="date").reset_index(drop=True), columns)
        part["kafka_partition"] = np.int32(0)
        part["kafka_offset"] = np.arange(len(part), dtype=np.int64)
        _write_parquet(settings, part, f"{RAW_PATHS[asset]}/date={day}")
        versions[day] = hashlib.sha256(part.to_csv(index=False).encode()).hexdigest()[:16]
    write_partition_versions(settings, RAW_PATHS[asset], versions)
    return versions


def _write_parquet(settings: Settings, frame: pd.DataFrame, folder: str) -> None:
    """`frame` as `<folder>/part-0.parquet` in the lake, a file:// or an s3:// one."""
    fs, path = lake_fs(settings), lake_path(settings, folder)
    fs.makedirs(path, exist_ok=True)
    with fs.open(f"{path}/part-0.parquet", "wb") as handle:
        frame.to_parquet(handle, index=False)


_PANDAS = {
    "string": "object",
    "int": "int32",
    "bigint": "int64",
    "double": "float64",
    "boolean": "bool",
    "timestamp": "datetime64[us]",
}


def _typed(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({c: frame[c].astype(_PANDAS[t]) for c, t in columns})
