"""A throw-away Airflow home for the tests that import Airflow.

Airflow reads its configuration when it is first imported, so a test module calls `use_throwaway_home()`
before anything imports Airflow; one home per pytest process, removed when it exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from infra.airflow_local import airflow_env
from infra.settings import Settings

AIRFLOW_TEST_HOME = Path(tempfile.gettempdir()) / f"shelfwise-airflow-tests-{os.getpid()}"


def use_throwaway_home() -> Path:
    """Point this process's Airflow configuration at AIRFLOW_TEST_HOME; returns it."""
    if not AIRFLOW_TEST_HOME.exists():
        atexit.register(shutil.rmtree, AIRFLOW_TEST_HOME, ignore_errors=True)
    env = airflow_env(Settings(home=AIRFLOW_TEST_HOME), AIRFLOW_TEST_HOME, AIRFLOW_TEST_HOME / "dags")
    os.environ.update({key: value for key, value in env.items() if key.startswith("AIRFLOW")})
    return AIRFLOW_TEST_HOME
