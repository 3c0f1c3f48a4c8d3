"""`shelfwise airflow up|down|status`: Airflow 3 standalone on this project's dags/, SQLite, LocalExecutor.

AIRFLOW_HOME is `<home>/airflow` (metadata DB `airflow.db`, the generated admin password); the pid file and
console log live in `<home>/run/airflow/`. The tasks build on a Spark Connect server started with Airflow
(`infra/spark_connect_local.py`; the settings' own when they name one), handed to them as the
`shelfwise_spark_connect` connection. The connections come from `AIRFLOW_CONN_*` variables (spark-submit's
local master, Spark Connect, and ClickHouse when a server is configured); the Spark pool is created with the
database, and the virtualenv's bin is first on PATH, so `airflow` sub-processes and `spark-submit` resolve
to this project's versions. Importing this module does not import Airflow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import typer
from rich.console import Console

from infra.airflow_wiring import (
    clickhouse_connection_env,
    pool_command,
    settings_env,
    spark_connect_connection_env,
    spark_connection_env,
)
from infra.local_process import ServiceError
from infra.local_service import LocalService, ServiceStatus
from infra.settings import REPO_ROOT, Settings, get_settings
from infra.spark_connect_local import SparkConnectLocal

DAGS_FOLDER = REPO_ROOT / "dags"
ADMIN_USER = "admin"

app = typer.Typer(no_args_is_help=True)
console = Console(soft_wrap=True)


def airflow_home(settings: Settings) -> Path:
    return settings.home / "airflow"


def bin_dir() -> Path:
    """The virtualenv's bin (airflow, spark-submit, python)."""
    return Path(sys.executable).parent


def airflow_env(
    settings: Settings, home: Path | None = None, dags_folder: Path = DAGS_FOLDER
) -> dict[str, str]:
    """Every variable an Airflow process of this project needs (set before Airflow is imported)."""
    home = home or airflow_home(settings)
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "2",  # two cores shared with Spark
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "1",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__API__PORT": str(settings.airflow_port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        # tasks reach the execution API through the base URL; its default assumes port 8080
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{settings.airflow_port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{settings.airflow_port}/execution/",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "30",
        **spark_connection_env(settings),
        **spark_connect_connection_env(settings),
        **settings_env(settings),
        **clickhouse_connection_env(settings),
    }


def password_file(settings: Settings) -> Path:
    """Where standalone writes the generated admin password (SimpleAuthManager)."""
    return airflow_home(settings) / "simple_auth_manager_passwords.json.generated"


class AirflowStandalone(LocalService):
    """`airflow standalone` (api-server, scheduler, dag-processor, triggerer), ready when /health answers."""

    name = "airflow"
    title = "Airflow standalone"
    stop_grace_s = 30.0

    def __init__(self, settings: Settings, dags_folder: Path = DAGS_FOLDER):
        local_connect = not settings.spark_remote
        super().__init__(with_spark_connect(settings))
        self.dags_folder = dags_folder
        # a Spark Connect server of its own, started first and stopped last, unless the settings name one
        self.spark_connect = SparkConnectLocal(self.settings) if local_connect else None

    def start(self) -> ServiceStatus:
        if self.spark_connect is not None:
            self.spark_connect.start()
        return super().start()

    def stop(self) -> bool:
        stopped = super().stop()
        if self.spark_connect is not None:
            self.spark_connect.stop()
        return stopped

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.settings.airflow_port}"

    @property
    def ports(self) -> dict[str, int]:
        return {"SHELFWISE_AIRFLOW_PORT": self.settings.airflow_port}

    @property
    def marker(self) -> str:
        return f"{bin_dir() / 'airflow'} standalone"

    def env(self) -> dict[str, str]:
        # PATH is process plumbing, not configuration: standalone starts its parts as `airflow …` from PATH.
        path = os.pathsep.join([str(bin_dir()), os.environ.get("PATH", os.defpath)])
        return {**airflow_env(self.settings, dags_folder=self.dags_folder), "PATH": path}

    def prepare(self) -> None:
        """Migrate the metadata DB first (idempotent), so the start itself stays within the timeout."""
        if not (bin_dir() / "airflow").exists():
            raise self.fail(f"airflow not found in {bin_dir()}; run infra/install.sh all")
        airflow_home(self.settings).mkdir(parents=True, exist_ok=True)
        migrate_db(self.env(), self.console_log, self.settings.spark_pool_slots)

    def command(self) -> list[str]:
        return [str(bin_dir() / "airflow"), "standalone"]

    def is_ready(self) -> bool:
        health = api_health(self.settings.airflow_port)
        return bool(health) and health.get("scheduler", {}).get("status") == "healthy"


def with_spark_connect(settings: Settings) -> Settings:
    """The settings Airflow's tasks get: the Spark Connect server they name, else the local one."""
    if settings.spark_remote:
        return settings
    return settings.model_copy(update={"spark_remote": f"sc://127.0.0.1:{settings.spark_connect_port}"})


def migrate_db(env: dict[str, str], log: Path, pool_slots: int = 2, timeout_s: float = 300.0) -> None:
    """`airflow db migrate`, then the Spark pool the materialize tasks run in (the same commands as compose's
    airflow-init); raises ServiceError with the log to read."""
    log.parent.mkdir(parents=True, exist_ok=True)
    for command in (["db", "migrate"], pool_command(pool_slots)):
        with log.open("a") as out:
            done = subprocess.run(
                [str(bin_dir() / "airflow"), *command],
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout_s,
                check=False,
            )
        if done.returncode != 0:
            what = " ".join(command[:2])
            raise ServiceError(f"Airflow: `airflow {what}` failed (exit {done.returncode}) (log: {log})")


def api_health(port: int) -> dict:
    """The API server's /api/v2/monitor/health answer, or {} when it does not answer."""
    url = f"http://127.0.0.1:{port}/api/v2/monitor/health"
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 never via a proxy
    try:
        with direct.open(url, timeout=2.0) as response:
            return json.load(response) if response.status == 200 else {}
    except (urllib.error.URLError, OSError, ValueError):
        return {}


def admin_password(settings: Settings) -> str | None:
    if not password_file(settings).exists():
        return None
    return json.loads(password_file(settings).read_text()).get(ADMIN_USER)


@app.command()
def up() -> None:
    """Start Airflow standalone on dags/ and print the UI address and login."""
    settings = get_settings()
    try:
        status = AirflowStandalone(settings).start()
    except ServiceError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    took = f" in {status.started_in_s:.0f}s" if status.started_in_s else " (already running)"
    console.print(f"Airflow is up{took}: {status.address}  (AIRFLOW_HOME {airflow_home(settings)})")
    password = admin_password(settings)
    console.print(
        f"login: {ADMIN_USER} / {password or '(see below)'}  — password file {password_file(settings)}"
    )
    console.print("DAGs are paused when first seen: unpause them in the UI (Dags) to let sources run.")


@app.command()
def down() -> None:
    """Stop Airflow standalone."""
    stopped = AirflowStandalone(get_settings()).stop()
    console.print("Airflow stopped" if stopped else "Airflow was not running")


@app.command()
def status() -> None:
    """Say whether Airflow runs and answers."""
    service = AirflowStandalone(get_settings())
    state = service.status()
    console.print(f"airflow: {state.state} (pid {state.pid or '-'}) {state.address}  log: {state.log}")
    if state.state == "running":
        console.print(json.dumps(api_health(get_settings().airflow_port)))
