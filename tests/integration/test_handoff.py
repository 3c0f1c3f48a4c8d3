"""An asset DAG's steps hand over through the lake, never a shared local disk.

Each step of each run is its own Python process, as Airflow tasks on different workers would be: its own
empty working directory, TMPDIR and SHELFWISE_HOME; what they share is the MinIO (s3://) lake and the
warehouse. The build step is the real spark/submit.py entry point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from assets import steps
from assets.records import MaterializationStore
from assets.run import AssetRun, RunStateError
from infra.settings import REPO_ROOT
from infra.warehouse import Warehouse, migrate
from tests.conftest import on_minio
from tests.lake_reads import read_day

from . import till_chain

CHAIN = Path(till_chain.__file__).resolve()
DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]
STEP = """
import json, sys
from assets import steps
from spark.submit import load_graph_ref
from infra.settings import get_settings
graph, (name, asset, run_id) = load_graph_ref(sys.argv[1]), sys.argv[2:5]
try:
    if name == "check":
        out = steps.check(graph, get_settings(), asset, run_id).__dict__
    else:
        out = getattr(steps, name)(graph, get_settings(), asset, run_id)
except steps.NothingToPublish as nothing:
    out = {"nothing": str(nothing)}
print(json.dumps(out, default=str))
"""


def in_a_fresh_place(tmp_path: Path, settings, what: str, argv: list[str]) -> str:
    """Run `argv` as a process sharing nothing local (new cwd, TMPDIR, home), only the lake and warehouse;
    its last line of output."""
    place = tmp_path / what
    for folder in ("cwd", "tmp", "home"):
        (place / folder).mkdir(parents=True)
    here = settings.model_copy(update={"home": place / "home"})
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SHELFWISE_")},
        **here.as_env(),
        "TMPDIR": str(place / "tmp"),
        "PYTHONPATH": str(REPO_ROOT),
    }
    done = subprocess.run(argv, cwd=place / "cwd", env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{what} failed:\n{done.stdout}\n{done.stderr[-3000:]}"
    assert not any((place / "cwd").iterdir()), f"{what} wrote to its working directory"
    return done.stdout.splitlines()[-1]


def step(tmp_path: Path, settings, name: str, asset: str, run_id: str) -> dict:
    """One step function of assets/steps.py, as an Airflow task would call it, in its own process."""
    argv = [sys.executable, "-c", STEP, f"{CHAIN}:GRAPH", name, asset, run_id]
    return json.loads(in_a_fresh_place(tmp_path, settings, f"{run_id}-{name}", argv))


def run_dag(tmp_path: Path, settings, asset: str, run_id: str) -> dict:
    """One DAG run of `asset`: check, build (spark/submit.py), gate, publish, each in its own place."""
    checked = step(tmp_path, settings, "check", asset, run_id)
    assert checked["action"] == "build", checked
    submit = [sys.executable, str(REPO_ROOT / "spark" / "submit.py"), "--asset", asset, "--partitions",
              ",".join(checked["partitions"]), "--run-id", run_id, "--graph", f"{CHAIN}:GRAPH"]  # fmt: skip
    in_a_fresh_place(tmp_path, settings, f"{run_id}-build", submit)
    step(tmp_path, settings, "gate", asset, run_id)
    return step(tmp_path, settings, "publish", asset, run_id)


@pytest.fixture
def lake_only(services, tmp_path):
    """Settings on a fresh s3:// lake and a warehouse of their own, with no home of any step's."""
    lake = f"s3://shelfwise-test/handoff-{uuid.uuid4().hex[:6]}"
    settings = on_minio(services, tmp_path / "driver-home", lake, warehouse_path=tmp_path / "warehouse")
    migrate(Warehouse(settings))
    till_chain.write_sales(settings, DAYS)
    return settings


def test_each_step_on_its_own_host_builds_the_chain(lake_only, tmp_path):
    settings = lake_only
    for asset in ("raw", "totals", "rolling"):
        extra = run_dag(tmp_path, settings, asset, f"scheduled__{asset}:2026-03-04T00:00:00+00:00")
        assert sorted(extra["partitions"]) == DAYS, extra

    latest = MaterializationStore(Warehouse(settings)).latest_successes()
    assert {(a, d) for a in ("raw", "totals", "rolling") for d in DAYS} <= set(latest)
    assert all(latest[("rolling", d)].row_count == 2 for d in DAYS)
    rolling = read_day(settings, "rolling", DAYS[-1])
    assert sorted(rolling["qty"]) == [2.0, 2.0]  # each store sold 1, 2, 3 over the three days
    assert not (tmp_path / "driver-home" / "lake").exists()

    again = step(tmp_path, settings, "check", "rolling", "again")
    assert again["action"] == "skip", "a rerun with nothing new finds the asset up to date"


def test_a_step_without_its_plan_stops_instead_of_guessing(lake_only):
    """Before, a gate that found no local plan took the asset for a source and checked nothing."""
    settings, graph = lake_only, till_chain.GRAPH
    for step in (steps.gate, steps.publish):
        with pytest.raises(RunStateError, match="no saved run 'elsewhere' of totals"):
            step(graph, settings, "totals", "elsewhere")
    assert steps.check(graph, settings, "raw", "r1").action == "build"
    with pytest.raises(RunStateError, match="is planned: it cannot become published"):
        steps.publish(graph, settings, "raw", "r1")  # the build and the gate have not run
    assert AssetRun.load(settings, "raw", "r1").stage == "planned"
