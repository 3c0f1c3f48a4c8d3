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
    parser.addoption("--demo-home", default="", help="The run directory of `make demo` (default .shelfwise).")


@pytest.fixture(scope="session")
def shared_data(request) -> Path:
    """The real datasets folder; benchmarks that need it skip with a clear message when it is absent."""
    path = Path(request.config.getoption("--shared-data"))
    if not path.is_dir():
        pytest.skip(f"real datasets not found at {path} (pass --shared-data PATH)")
    return path


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def tree_is_clean() -> bool:
    """True when no tracked or untracked file differs from HEAD (results files themselves excepted)."""
    status = _git("status", "--porcelain").splitlines()
    return not [line for line in status if "tests/bench/results/" not in line]


def write_results(benchmark: str, figures: dict[str, float]) -> Path:
    """Write tests/bench/results/<benchmark>.json in the project's shape and return its path.

    Figures describe the code of one commit, so they are only published from a clean tree and stamped with
    HEAD. From a dirty tree the same payload goes to `<benchmark>.json.tmp` (ignored by git) for a
    development run, and the run says so.
    """
    clean = tree_is_clean()
    payload = {
        "benchmark": benchmark,
        "commit": (_git("rev-parse", "--short", "HEAD") or "unknown") + ("" if clean else "-dirty"),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "figures": {name: float(value) for name, value in figures.items()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / (f"{benchmark}.json" if clean else f"{benchmark}.json.tmp")
    path.write_text(json.dumps(payload, indent=2) + "\n")
    if not clean:
        print(f"\n[bench] the tree is dirty: {benchmark} figures written to {path.name}, not published")
    return path


@pytest.fixture(scope="session")
def results_writer():
    """`results_writer(benchmark, figures)` writes the results file; use it as the last step of a
    benchmark."""
    return write_results
