"""A straightforward reference of the ledger rules: walk one store x SKU's events in time order."""

from __future__ import annotations

import pandas as pd

DELTA = {"sale": -1, "return": 1, "receipt": 1, "adjustment": 1}


def reference_ledger(events: pd.DataFrame, days: list[str]) -> pd.DataFrame:
    """events: date, ts, kind (sale|return|receipt|adjustment|count), quantity. One row per day."""
    rows, stock = [], None
    for day in days:
        todays = events[events["date"] == day].sort_values("ts")
        counts = todays[todays["kind"] == "count"]
        if stock is None:  # first day: open at the day's count, unwound by what moved before it
            stock = 0
            if len(counts):
                first = counts.iloc[-1]
                before = todays[(todays["ts"] < first["ts"]) & (todays["kind"] != "count")]
                stock = max(
                    int(first["quantity"] - (before["kind"].map(DELTA) * before["quantity"]).sum()), 0
                )
        opening, position = stock, stock
        for event in todays.itertuples():
            position = (
                event.quantity if event.kind == "count" else position + DELTA[event.kind] * event.quantity
            )
        total = {k: int(todays.loc[todays["kind"] == k, "quantity"].sum()) for k in DELTA}
        closing = max(position, 0)
        rows.append(
            {
                "date": day,
                "opening_on_hand": opening,
                "sold": total["sale"],
                "returned": total["return"],
                "received": total["receipt"],
                "closing_on_hand": closing,
                "discrepancy": position < 0,
            }
        )
        stock = closing
    return pd.DataFrame(rows)


def day_inputs(events: pd.DataFrame, days: list[str]) -> pd.DataFrame:
    """The per-day aggregates the job computes in Spark, computed here with pandas (DAY_COLUMNS)."""
    rows = []
    for day in days:
        todays = events[events["date"] == day]
        counts = todays[todays["kind"] == "count"].sort_values("ts")
        row = {
            k: int(todays.loc[todays["kind"] == kind, "quantity"].sum())
            for k, kind in [
                ("sold", "sale"),
                ("returned", "return"),
                ("received", "receipt"),
                ("adjustments", "adjustment"),
            ]
        }
        row["has_count"], row["count_qty"], row["net_after_count"] = len(counts) > 0, 0, 0
        if len(counts):
            last = counts.iloc[-1]
            after = todays[(todays["ts"] > last["ts"]) & (todays["kind"] != "count")]
            row["count_qty"] = int(last["quantity"])
            row["net_after_count"] = int((after["kind"].map(DELTA) * after["quantity"]).sum())
        rows.append(row)
    return pd.DataFrame(rows)
