"""A Spark job's console carries errors only: the routine WARN lines Spark prints are not for operators.

The same job is run twice in fresh processes, once with shelfwise's session settings and once with Spark's own
logging, so the test shows it would see the WARN lines if they came through.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.spark

REPO = Path(__file__).resolve().parents[2]

# A 2 MB task is over Spark's 1000 KiB "task of very large size" warning threshold.
JOB = """
import sys
from infra.settings import Settings
from spark import session
if sys.argv[1] == "spark-defaults":
    conf = session.spark_conf
    session.spark_conf = lambda s: {k: v for k, v in conf(s).items() if k != "spark.driver.extraJavaOptions"}
spark = session.get_spark(Settings(home=sys.argv[2], lake_url="", clickhouse_url=""))
if sys.argv[1] == "spark-defaults":
    spark.sparkContext.setLogLevel("WARN")
print("rows", spark.sparkContext.parallelize([b"x" * 2_000_000], 1).count())
spark.stop()
"""


def run_job(mode: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", JOB, mode, str(home)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_spark_jobs_print_no_warn_lines(tmp_path):
    ours = run_job("shelfwise", tmp_path / "ours")
    assert ours.returncode == 0, ours.stderr
    assert "rows 1" in ours.stdout
    assert " WARN " not in ours.stderr and "WARN " not in ours.stdout, ours.stderr

    spark_own = run_job("spark-defaults", tmp_path / "defaults")
    assert spark_own.returncode == 0, spark_own.stderr
    assert "task of very large size" in spark_own.stderr  # the line our settings keep off the console
