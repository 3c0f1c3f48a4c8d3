"""`make test` as a newcomer runs it, timed end to end (set-up done, caches warm): every tier, services,
Spark and Airflow included.

Figures: make_test_s (the whole command, lint included), the counts pytest reports (passed, skipped, failed,
errors) and the seconds of the 15 slowest test phases it lists (`<file>::<test>_s`, where the time goes).
The goal (#18) is make_test_s <= 480. The run fails when `make test` does.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench
REPO = Path(__file__).resolve().parents[2]
COUNTS = ("passed", "skipped", "failed", "errors")


@pytest.mark.timeout(5400)  # the whole suite, well past the 15-minute limit of one test
def test_make_test(results_writer):
    started = time.perf_counter()
    done = subprocess.run(["make", "test"], cwd=REPO, capture_output=True, text=True, timeout=5400)
    seconds = time.perf_counter() - started
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    figures = {"make_test_s": round(seconds, 1), **summary_counts(output), **slowest(output)}
    print(figures)
    results_writer("make_test", figures)


def summary_counts(output: str) -> dict[str, float]:
    """The counts of pytest's last summary line ('== 518 passed, 3 skipped in 2227.1s ==')."""
    line = [row for row in output.splitlines() if re.search(r"\d+ passed", row)][-1]
    pairs = re.findall(r"(\d+) (passed|skipped|failed|errors?)", line)
    found = {kind.rstrip("s"): int(n) for n, kind in pairs}  # pytest says "1 error", "2 errors"
    return {kind: found.get(kind.rstrip("s"), 0) for kind in COUNTS}


def slowest(output: str) -> dict[str, float]:
    """'123.45s call     tests/integration/test_x.py::test_y' lines of --durations, as figures."""
    rows = re.findall(r"^(\d+\.\d+)s (?:call|setup|teardown)\s+tests/\S*?([\w]+)\.py::(\S+)", output, re.M)
    return {f"{module}::{test}_s": float(seconds) for seconds, module, test in rows}
