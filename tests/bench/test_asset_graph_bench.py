"""Asset graph benchmark: 365 days x 100 store-SKU series through a five-asset graph of small pandas jobs.

Figures (tests/bench/results/asset_graph.json):
- noop_ratio_to_full: a materialize with no input change, as a share of the full build (goal <= 0.05)
- incremental_day_ratio_to_full: one new day of sales, as a share of the full build (goal <= 0.15)
- dag_parse_s: DagBag parse of dags/shelfwise_assets.py in a process that has Airflow imported (goal < 2 s)
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assets.graph import build_graph
from assets.model import AssetSpec, Lake, all_up_to, latest_before, previous_day, window
from assets.runner import Runner
from infra.airflow_local import airflow_env
from infra.lake import lake_path, published_days, read_partition_versions, write_partition_versions
from infra.settings import REPO_ROOT, Settings
from infra.warehouse import Warehouse, migrate
from spark.context import JobResult

pytestmark = pytest.mark.bench

FIRST_DAY, DAYS, STORES, SKUS = date(2025, 1, 1), 365, 10, 10  # 100 store-SKU series


def pos_ingest(ctx) -> JobResult:
    """Source: one till file per day lands in incoming/; only new or changed files are ingested.

    A file's version is its name, size and mtime (what a Kafka ingest gets from offset ranges): cheap to see.
    """
    root = Path(lake_path(ctx.settings))
    versions = read_partition_versions(ctx.settings, "raw_sales")
    for path in sorted((root / "incoming").glob("*.csv")):
        stat = path.stat()
        version = f"{stat.st_size}-{stat.st_mtime_ns}"
        day = path.stem
        if versions.get(day) != version:
            _write(ctx, day, pd.read_csv(path))
            versions[day] = version
    write_partition_versions(ctx.settings, "raw_sales", versions)
    return JobResult(len(versions), partition_versions=versions)


def units_sold(ctx) -> JobResult:
    rows = {}
    for day in ctx.partitions:
        sales = _read(ctx, "raw_sales", day)
        rows[day] = _write(ctx, day, sales.groupby(["store", "sku"], as_index=False)["qty"].sum())
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def rolling_demand(ctx) -> JobResult:
    rows, have = {}, _days(ctx, "units_sold")
    for day in ctx.partitions:
        d = date.fromisoformat(day)
        days = [(d - timedelta(days=i)).isoformat() for i in range(7)]
        frames = [_read(ctx, "units_sold", k) for k in days if k in have]
        mean = pd.concat(frames).groupby(["store", "sku"], as_index=False)["qty"].mean()
        rows[day] = _write(ctx, day, mean)
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def stock_ledger(ctx) -> JobResult:
    """Closing on_hand = yesterday's closing + 50 delivered - sold (today reads yesterday's partition)."""
    rows, published = {}, _days(ctx, "stock_ledger")
    for day in ctx.partitions:
        sold = _read(ctx, "units_sold", day)
        before = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
        if before in rows:  # built by this run: still in its build folder
            opening = pd.read_parquet(Path(lake_path(ctx.settings, ctx.output)) / f"date={before}")
        elif before in published:
            opening = _read(ctx, "stock_ledger", before)
        if before in rows or before in published:
            opening = opening[["store", "sku", "on_hand"]]
            sold = sold.merge(opening, on=["store", "sku"], how="left").fillna({"on_hand": 0})
        else:
            sold["on_hand"] = 0
        sold["on_hand"] = sold["on_hand"] + 50 - sold["qty"]
        rows[day] = _write(ctx, day, sold[["store", "sku", "on_hand"]])
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def demand_model(ctx) -> JobResult:
    """Weekly: per-series mean of the week's rolling demand (a stand-in for the MLlib model)."""
    rows, have = {}, _days(ctx, "rolling_demand")
    for monday in ctx.partitions:
        d = date.fromisoformat(monday)
        keys = [(d + timedelta(days=i)).isoformat() for i in range(7)]  # the first week may start early
        week = [_read(ctx, "rolling_demand", k) for k in keys if k in have]
        model = pd.concat(week).groupby(["store", "sku"], as_index=False)["qty"].mean()
        rows[monday] = _write(ctx, monday, model)
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def reorder_predictions(ctx) -> JobResult:
    rows = {}
    models = sorted(_days(ctx, "demand_model"))
    for day in ctx.partitions:
        stock = _read(ctx, "stock_ledger", day)
        usable = [m for m in models if (date.fromisoformat(m) + timedelta(days=6)).isoformat() < day]
        model = (
            _read(ctx, "demand_model", usable[-1])
            if usable
            else stock.assign(qty=0.0)[["store", "sku", "qty"]]
        )
        plan = stock.merge(model, on=["store", "sku"], how="left").fillna({"qty": 0.0})
        plan["order_qty"] = (plan["qty"] * 7 - plan["on_hand"]).clip(lower=0).round()
        rows[day] = _write(ctx, day, plan)
    return JobResult(sum(rows.values()), rows_by_partition=rows)


def _read(ctx, asset: str, day: str) -> pd.DataFrame:
    """A published day of `asset`, found through its published index as every reader does."""
    folder = published_days(ctx.settings, asset)[day]
    return pd.read_parquet(Path(lake_path(ctx.settings, folder)) / "part-0.parquet")


def _days(ctx, asset: str) -> set[str]:
    return set(published_days(ctx.settings, asset))


def _write(ctx, day: str, frame: pd.DataFrame) -> int:
    """A day of the asset being built, into its build folder (a source's lands in place)."""
    out = Path(lake_path(ctx.settings, ctx.output)) / f"date={day}"
    out.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(out / "part-0.parquet", index=False)
    return len(frame)


GRAPH = build_graph(
    [
        AssetSpec("raw_sales", "till lines", pos_ingest, Lake("raw_sales"), code_version="1"),
        AssetSpec(
            "units_sold", "units per series", units_sold, Lake("units_sold"), ("raw_sales",), code_version="1"
        ),
        AssetSpec(
            "rolling_demand",
            "7-day mean",
            rolling_demand,
            Lake("rolling_demand"),
            (window("units_sold", 7),),
            code_version="1",
        ),
        AssetSpec(
            "stock_ledger",
            "on hand",
            stock_ledger,
            Lake("stock_ledger"),
            ("units_sold", previous_day("stock_ledger")),
            code_version="1",
        ),
        AssetSpec(
            "demand_model",
            "weekly model",
            demand_model,
            Lake("demand_model"),
            (all_up_to("rolling_demand"),),
            partitioning="weekly",
            code_version="1",
        ),
        AssetSpec(
            "reorder_predictions",
            "order quantities",
            reorder_predictions,
            Lake("reorder_predictions"),
            ("stock_ledger", latest_before("demand_model")),
            code_version="1",
        ),
    ]
)


def write_days(settings, days: list[date]) -> None:
    incoming = Path(lake_path(settings)) / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    series = [(f"S{s:02d}", f"K{k:02d}") for s in range(STORES) for k in range(SKUS)]
    for d in days:
        frame = pd.DataFrame(series, columns=["store", "sku"])
        frame["qty"] = rng.poisson(5, len(frame))
        frame.to_csv(incoming / f"{d.isoformat()}.csv", index=False)


def timed(runner: Runner):
    started = time.perf_counter()
    report = runner.materialize()
    return time.perf_counter() - started, report


def dag_parse_seconds() -> float:
    """DagBag over dags/ in a fresh process that has already imported Airflow (as the dag processor has)."""
    home = Path(tempfile.gettempdir()) / f"shelfwise-bench-airflow-{os.getpid()}"
    env = {
        k: v
        for k, v in airflow_env(Settings(home=home), home, REPO_ROOT / "dags").items()
        if k.startswith("AIRFLOW")
    }
    code = (
        "import time\nfrom airflow.dag_processing.dagbag import DagBag\nimport airflow.sdk\n"
        "t = time.perf_counter()\nbag = DagBag(dag_folder={!r})\nseconds = time.perf_counter() - t\n"
        "assert not bag.import_errors, bag.import_errors\nprint(seconds)\n".format(str(REPO_ROOT / "dags"))
    )
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def test_asset_graph_change_detection_and_parse_time(settings, results_writer):
    migrate(Warehouse(settings))
    days = [FIRST_DAY + timedelta(days=i) for i in range(DAYS)]
    write_days(settings, days)
    runner = Runner(GRAPH, settings)

    full_s, full = timed(runner)
    assert not full.failed and len(next(o for o in full.outcomes if o.asset == "units_sold").built) == DAYS
    noop_s, noop = timed(runner)
    assert noop.up_to_date
    write_days(settings, [FIRST_DAY + timedelta(days=DAYS)])
    incremental_s, incremental = timed(runner)
    built = {o.asset: o.built for o in incremental.outcomes}
    new_day = (FIRST_DAY + timedelta(days=DAYS)).isoformat()
    assert built["reorder_predictions"] == [new_day] and built["rolling_demand"] == [new_day]

    figures = {
        "full_build_s": round(full_s, 3),
        "noop_s": round(noop_s, 3),
        "incremental_day_s": round(incremental_s, 3),
        "noop_ratio_to_full": round(noop_s / full_s, 4),
        "incremental_day_ratio_to_full": round(incremental_s / full_s, 4),
        "dag_parse_s": round(dag_parse_seconds(), 3),
        "partitions_built_full": sum(len(o.built) for o in full.outcomes),
    }
    path = results_writer("asset_graph", figures)
    print(json.dumps(figures, indent=2), "->", path)
    assert figures["noop_ratio_to_full"] <= 0.05
    assert figures["incremental_day_ratio_to_full"] <= 0.15
    assert figures["dag_parse_s"] < 2.0
