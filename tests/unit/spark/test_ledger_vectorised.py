"""`run_ledgers` (every series stepped together, as inventory_snapshot runs it) equals `run_ledger`."""

import numpy as np
import pandas as pd
import pytest

from spark.jobs.ledger import DAY_COLUMNS, LEDGER_COLUMNS, run_ledger, run_ledgers

SERIES = ["store_id", "sku"]


def random_days(rng: np.random.Generator, series: int, days: int) -> pd.DataFrame:
    n = series * days
    frame = pd.DataFrame({
        "store_id": np.repeat([f"S{i}" for i in range(series)], days), "sku": "A",
        "date": np.tile(np.arange(days), series), "sold": rng.poisson(3, n), "returned": rng.poisson(0.3, n),
        "received": rng.poisson(2, n) * rng.integers(0, 2, n),
        "adjustments": -rng.poisson(0.3, n), "has_count": rng.random(n) < 0.3, "count_qty": rng.poisson(5, n),
        "net_after_count": rng.integers(-3, 3, n),
    })  # fmt: skip
    frame.loc[~frame["has_count"], ["count_qty", "net_after_count"]] = 0
    seeds = {f"S{i}": np.nan if rng.random() < 0.5 else float(rng.integers(0, 10)) for i in range(series)}
    frame["prev_closing"] = frame["store_id"].map(seeds)
    return frame


def per_series(days: pd.DataFrame) -> pd.DataFrame:
    groups = days.groupby(SERIES, sort=False)
    return pd.concat([run_ledger(g[DAY_COLUMNS], g["prev_closing"].iloc[0]) for _, g in groups])


@pytest.mark.parametrize("seed", range(40))
def test_all_series_at_once_equal_one_series_at_a_time(seed):
    rng = np.random.default_rng(seed)
    days = random_days(rng, int(rng.integers(1, 6)), int(rng.integers(1, 9)))
    pd.testing.assert_frame_equal(run_ledgers(days, SERIES), per_series(days)[LEDGER_COLUMNS])
    ragged = days.iloc[:-1] if len(days) > 1 else days  # one series a day short: the per-series fallback
    pd.testing.assert_frame_equal(run_ledgers(ragged, SERIES), per_series(ragged)[LEDGER_COLUMNS])
