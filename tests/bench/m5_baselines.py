"""The four baselines alone on M5, no Spark: WRMSSE on the forecast benchmark's six folds and on the final
window d_1942..d_1969, for the item x store subset and the store x department series (same protocol as
tests/bench/test_forecast_bench.py; M5 records no stock-outs, so the baselines are plain array arithmetic).

    .venv/bin/python -m tests.bench.m5_baselines [SHARED_DATA_FOLDER]
"""

import json
import sys
from pathlib import Path

import numpy as np

from spark.ml import metrics, smoothing
from spark.ml.m5 import load_m5
from tests.bench import m5_backtest as mb

folder = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data") / "m5"

def forecasts(units, first, horizons):
    """Each baseline's series x horizon forecasts made from the days before index `first`."""
    hist = units[:, :first]
    h = np.asarray(horizons)
    back = 7 * np.ceil(h / 7).astype(int)          # target - back = most recent known same weekday
    idx = first + h - 1 - back                      # day index of that weekday
    snaive = hist[:, idx]
    w4 = np.mean([hist[:, idx - 7 * j] for j in range(4)], axis=0)
    ma28 = np.repeat(hist[:, -28:].mean(axis=1, keepdims=True), len(h), axis=1)
    ets = smoothing.forecast(smoothing.fit(hist), h)
    return {"snaive": snaive, "weekday_mean_4": w4, "ma28": ma28, "ets": ets}

out = {}
SUBSETS = (("item", load_m5, metrics.M5_LEVELS), ("store_dept", mb.load_store_dept, mb.STORE_DEPT_LEVELS))
for name, load, levels in SUBSETS:
    subset = load(folder)
    n = subset.units.shape[1]
    folds = [n - 28 - 63 * k for k in reversed(range(6))]
    res = {}
    for first in folds:
        actual = subset.units[:, first:first + 28]
        for m, f in forecasts(subset.units, first, range(1, 29)).items():
            dollars = subset.dollars(first - 28, first)
            s, _ = metrics.wrmsse(subset.ids, subset.units[:, :first], actual, f, dollars, levels)
            res.setdefault(m, []).append(s)
    truth = mb.eval_truth(folder, subset)
    ev = {}
    for m, f in forecasts(subset.units, n, range(29, 57)).items():
        ev[m], bl = metrics.wrmsse(subset.ids, subset.units, truth, f, subset.dollars(n - 28, n), levels)
        if m in ("snaive", "ets"):
            ev[m + "_level_9"] = bl[9]
    out[name] = {"fold_origins": [str(subset.days[f].date()) for f in folds],
                 "folds": {m: [round(v, 4) for v in vs] for m, vs in res.items()},
                 "folds_mean": {m: round(float(np.mean(vs)), 4) for m, vs in res.items()},
                 "eval_window": {m: round(v, 4) for m, v in ev.items()}}
print(json.dumps(out, indent=1))
