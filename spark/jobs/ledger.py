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
