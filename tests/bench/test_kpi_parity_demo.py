"""KPI parity at demo scale: every KPI twin on the demo's warehouse against pandas over the demo's lake.

tests/integration/test_kpi_parity.py proves the twins on a small chain built for the purpose; this runs the
same reference (tests/integration/kpi_reference.py) on what `make demo` left behind (10 stores x 200 SKUs x
a year), so the numbers a store manager reads in Power BI and the browser report are checked on the data
they were written for. Run `make demo` first; `--demo-home` points elsewhere.

Figures: kpis (how many the contract has), kpis_agreeing (within 1e-9 relative), max_relative_difference,
forecast_pairs (complete 7-day windows scored), snapshot_rows, reference_s, twins_s.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from infra.lake import lake_path
from infra.settings import Settings
from infra.warehouse import Warehouse
from tests.integration.kpi_reference import KPIS, forecast_pairs, parquet, reference_kpis, twin

pytestmark = pytest.mark.bench
REPO = Path(__file__).resolve().parents[2]


def demo_home(request) -> Path:
    return Path(request.config.getoption("--demo-home") or REPO / ".shelfwise")


@pytest.fixture
def demo(request) -> Settings:
    home = demo_home(request)
    settings = Settings(home=home, lake_url="", clickhouse_url="")
    if not (Path(lake_path(settings, "marts/reorder_predictions"))).is_dir():
        pytest.skip(f"no demo lake at {home}: run `make demo` first (or pass --demo-home PATH)")
    return settings


def test_every_kpi_twin_agrees_on_the_demo(demo, results_writer):
    began = time.perf_counter()
    reference = reference_kpis(demo)
    reference_s = time.perf_counter() - began
    began = time.perf_counter()
    warehouse = Warehouse(demo)
    measured = {key: twin(warehouse, key) for key in KPIS}
    twins_s = time.perf_counter() - began
    difference = {
        key: abs(measured[key] - reference[key]) / max(abs(reference[key]), 1e-9) for key in KPIS
    }
    for key in KPIS:
        print(f"[bench] {key:26s} twin {measured[key]:>16,.4f}  pandas {reference[key]:>16,.4f}")
    snapshot = parquet(demo, "curated/inventory_snapshot")
    pairs = forecast_pairs(parquet(demo, "marts/reorder_predictions"), snapshot)
    agreeing = [key for key in KPIS if np.isfinite(reference[key]) and difference[key] <= 1e-9]
    results_writer(
        "kpi_parity_demo",
        {
            "kpis": len(KPIS),
            "kpis_agreeing": len(agreeing),
            "max_relative_difference": max(difference.values()),
            "forecast_pairs": len(pairs),
            "snapshot_rows": len(snapshot),
            "reference_s": reference_s,
            "twins_s": twins_s,
        },
    )
    assert sorted(reference) == KPIS
    assert agreeing == KPIS, {k: (measured[k], reference[k]) for k in KPIS if k not in agreeing}
