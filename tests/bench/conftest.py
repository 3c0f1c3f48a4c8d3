"""Benchmarks: shared options and the results writer (tests/bench/results/<benchmark>.json)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parents[2]


def pytest_addoption(parser):
    parser.addoption(
        "--shared-data",
        default=str(REPO.parent / "shared" / "data"),
        help="Folder with the real public retail datasets (M5, Walmart, Rossmann, Online Retail II).",
    )


@pytest.fixture(scope="session")
def shared_data(request) -> Path:
    """The real datasets folder; benchmarks that need it skip with a clear message when it is absent."""
    path = Path(request.config.getoption("--shared-data"))
    if not path.is_dir():
        pytest.skip(f"real datasets not found at {path} (pass --shared-data PATH)")
    return path


def write_results(benchmark: str, figures: dict[str, float]) -> Path:
    """Write tests/bench/results/<benchmark>.json in the project's shape and return its path."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    payload = {
        "benchmark": benchmark,
        "commit": commit or "unknown",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "figures": {name: float(value) for name, value in figures.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{benchmark}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


@pytest.fixture(scope="session")
def results_writer():
    """`results_writer(benchmark, figures)` writes the results file; use it as the last step of a
    benchmark."""
    return write_results
