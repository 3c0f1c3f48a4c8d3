"""The stock ledger of one store x SKU over consecutive days (pure pandas; run per series by Spark).

Per day, from the day's aggregated events:
  book      = opening - sold + returned + received + adjustments
  counted   = the day's last shelf count + every movement after it (when a count happened)
  closing   = counted if counted else book, floored at 0; a negative position is a `discrepancy`
  adjusted  = closing - (opening - sold + returned + received)   (signed adjustments + shrinkage + fix-up)
so closing = opening - sold + returned + received + adjusted holds on every row.
A series' first day opens at yesterday's closing when known, else at its first count (before that day's
earlier movements), else 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY_COLUMNS = ["sold", "returned", "received", "adjustments", "has_count", "count_qty", "net_after_count"]
LEDGER_COLUMNS = [
    "opening_on_hand",
    "adjusted",
    "count_variance",
    "closing_on_hand",
    "discrepancy",
    "discrepancy_units",
]


def run_ledger(days: pd.DataFrame, prev_closing: float | None) -> pd.DataFrame:
    """Ledger columns for one series' days (sorted by date, columns DAY_COLUMNS)."""
    n = len(days)
    out = {c: np.zeros(n, dtype=np.int64) for c in LEDGER_COLUMNS}
    out["discrepancy"] = np.zeros(n, dtype=bool)
    sold, returned, received, adjustments, has_count, count_qty, net_after = (
        days[c].to_numpy() for c in DAY_COLUMNS
    )
    opening = _first_opening(days, prev_closing)
    for i in range(n):
        flow = opening - sold[i] + returned[i] + received[i]
        book = flow + adjustments[i]
        position = count_qty[i] + net_after[i] if has_count[i] else book
        closing = max(position, 0)
        out["opening_on_hand"][i] = opening
        out["count_variance"][i] = (position - book) if has_count[i] else 0
        out["closing_on_hand"][i] = closing
        out["adjusted"][i] = closing - flow
        out["discrepancy"][i] = position < 0
        out["discrepancy_units"][i] = max(-position, 0)
        opening = closing
    return pd.DataFrame(out, index=days.index)


def _first_opening(days: pd.DataFrame, prev_closing: float | None) -> int:
    if prev_closing is not None and not pd.isna(prev_closing):
        return int(prev_closing)
    first = days.iloc[0]
    if not first["has_count"]:
        return 0
    # Opening that makes the first count exact: the count minus what moved before it that day.
    before = (
        -first["sold"]
        + first["returned"]
        + first["received"]
        + first["adjustments"]
        - first["net_after_count"]
    )
    return max(int(first["count_qty"] - before), 0)


def run_ledgers(days: pd.DataFrame, series: list[str]) -> pd.DataFrame:
    """`run_ledger` for many series at once: `days` holds consecutive days per series (sorted by series, then
    date) with DAY_COLUMNS and `prev_closing`. Steps through the days with numpy across all series, so the
    cost is per day, not per series; ragged series fall back to one `run_ledger` each."""
    sizes = days.groupby(series, sort=False).size().to_numpy()
    if len(sizes) == 0 or (sizes != sizes[0]).any():
        return pd.concat(
            [
                run_ledger(g[DAY_COLUMNS], g["prev_closing"].iloc[0])
                for _, g in days.groupby(series, sort=False)
            ]
        ).loc[days.index]
    shape = (len(sizes), int(sizes[0]))
    sold, returned, received, adjustments, has_count, count_qty, net_after = (
        days[c].to_numpy().reshape(shape) for c in DAY_COLUMNS
    )
    has_count = has_count.astype(bool)
    out = {c: np.zeros(shape, dtype=np.int64) for c in LEDGER_COLUMNS}
    position = np.zeros(shape, dtype=np.int64)
    moved = -sold[:, 0] + returned[:, 0] + received[:, 0] + adjustments[:, 0]
    first_count = np.maximum(count_qty[:, 0] - (moved - net_after[:, 0]), 0)  # as in _first_opening
    prev_closing = days["prev_closing"].to_numpy(dtype=float).reshape(shape)[:, 0]
    opening = np.where(np.isnan(prev_closing), np.where(has_count[:, 0], first_count, 0), prev_closing)
    opening = np.nan_to_num(opening).astype(np.int64)
    flow = np.zeros(shape, dtype=np.int64)
    for i in range(shape[1]):  # only the opening carries from day to day
        flow[:, i] = opening - sold[:, i] + returned[:, i] + received[:, i]
        book = flow[:, i] + adjustments[:, i]
        position[:, i] = np.where(has_count[:, i], count_qty[:, i] + net_after[:, i], book)
        out["count_variance"][:, i] = np.where(has_count[:, i], position[:, i] - book, 0)
        out["opening_on_hand"][:, i] = opening
        opening = np.maximum(position[:, i], 0)
    out["closing_on_hand"] = np.maximum(position, 0)
    out["adjusted"] = out["closing_on_hand"] - flow
    out["discrepancy_units"] = np.maximum(-position, 0)
    frame = pd.DataFrame({c: v.reshape(-1) for c, v in out.items()}, index=days.index)
    frame["discrepancy"] = (position < 0).reshape(-1)
    return frame[LEDGER_COLUMNS]
