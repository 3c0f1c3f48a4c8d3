"""The real M5 (Walmart) daily item x store subset in the forecasting history contract.

Reads the files described in ../shared/data/m5/SOURCE.md (or a small slice of them under tests/data):
the wide sales file (id columns + d_1..d_n), calendar.csv and the weekly sell prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ID_COLUMNS = ["item_id", "dept_id", "cat_id", "store_id", "state_id"]
SALES_FILE = "sales_train_validation_subset_28items_x_10stores.csv.gz"


@dataclass
class M5Subset:
    """Bottom-level series (ids), their daily units (series x days) and the matching days and prices."""

    ids: pd.DataFrame
    units: np.ndarray
    days: pd.DatetimeIndex
    calendar: pd.DataFrame
    prices: np.ndarray  # series x days shelf price (NaN when the item was not on sale)

    def history(self) -> pd.DataFrame:
        """Long frame in the history contract (store_id, sku, date, units_sold, stock_out, price)."""
        n_series, n_days = self.units.shape
        return pd.DataFrame({
            "store_id": np.repeat(self.ids["store_id"].to_numpy(), n_days),
            "sku": np.repeat(self.ids["item_id"].to_numpy(), n_days),
            "date": np.tile(self.days.date, n_series),
            "units_sold": self.units.reshape(-1).astype(float),
            # M5 records no stock-outs; leaving them uncensored is what the competition models saw too.
            "stock_out": np.zeros(n_series * n_days, bool),
            "price": self.prices.reshape(-1),
        })

    def store_calendar(self) -> pd.DataFrame:
        """Known-ahead calendar per store and day: any event, and SNAP days of the store's state."""
        stores = self.ids[["store_id", "state_id"]].drop_duplicates()
        frames = []
        for store_id, state_id in stores.itertuples(index=False):
            frames.append(pd.DataFrame({
                "store_id": store_id,
                "date": self.calendar["date"].dt.date,
                "is_event": self.calendar["event_name_1"].notna().astype(float),
                "is_snap": self.calendar[f"snap_{state_id}"].astype(float),
            }))
        return pd.concat(frames, ignore_index=True)

    def dollars(self, first: int, last: int) -> np.ndarray:
        """Dollar sales per series over day indexes first..last-1 (units x that day's sell price)."""
        return np.nansum(self.units[:, first:last] * self.prices[:, first:last], axis=1)


def load_m5(folder: Path, sales_file: str = SALES_FILE) -> M5Subset:
    """Load the wide sales file, calendar.csv and sell prices (parquet or csv.gz) from `folder`."""
    sales = pd.read_csv(folder / sales_file)
    day_cols = [c for c in sales.columns if c.startswith("d_")]
    calendar = pd.read_csv(folder / "calendar.csv", parse_dates=["date"])
    calendar = calendar.set_index("d").loc[day_cols].reset_index()
    ids = sales[ID_COLUMNS].reset_index(drop=True)
    prices = _daily_prices(folder, ids, calendar)
    return M5Subset(
        ids, sales[day_cols].to_numpy(float), pd.DatetimeIndex(calendar["date"]), calendar, prices
    )


def _daily_prices(folder: Path, ids: pd.DataFrame, calendar: pd.DataFrame) -> np.ndarray:
    items, stores = sorted(ids["item_id"].unique()), sorted(ids["store_id"].unique())
    parquet = folder / "sell_prices.parquet"
    if parquet.exists():
        weekly = pd.read_parquet(parquet, filters=[("item_id", "in", items), ("store_id", "in", stores)])
    else:
        weekly = pd.read_csv(folder / "sell_prices.csv.gz")
        weekly = weekly[weekly["item_id"].isin(items) & weekly["store_id"].isin(stores)]
    table = weekly.pivot_table(index=["item_id", "store_id"], columns="wm_yr_wk", values="sell_price")
    keys = pd.MultiIndex.from_frame(ids[["item_id", "store_id"]])
    return table.reindex(index=keys, columns=calendar["wm_yr_wk"]).to_numpy(float)
