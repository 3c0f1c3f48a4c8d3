"""The zip spark-submit ships (--py-files) lets a Python worker with no checkout import the jobs."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from infra.settings import REPO_ROOT, Settings
from spark.package import project_archive

PROBE = """
import spark.jobs.inventory, spark.ml.horizon, spark.jobs.forecasting
print(spark.jobs.inventory.__file__)
"""


def test_a_worker_without_the_repository_imports_the_jobs_from_the_shipped_zip(tmp_path):
    archive = project_archive(Settings(home=tmp_path))
    assert project_archive(Settings(home=tmp_path)) == archive, "one zip per code version"
    names = set(zipfile.ZipFile(archive).namelist())
    assert {"spark/jobs/inventory.py", "infra/settings.py", "assets/model.py"} <= names
    worker = tmp_path / "worker"
    worker.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(archive)}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=worker, env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(archive)), "imported from the zip, not from a checkout"
    assert str(REPO_ROOT) not in done.stdout
