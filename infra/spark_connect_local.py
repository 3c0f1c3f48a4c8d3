"""A Spark Connect server as a local service: one long-lived Spark that Airflow's tasks build on.

Every spark-submit pays a JVM and its Spark start-up (~15 s) before any work, which a one-day build does not
need: a task that connects to this server starts its work at once. The server is Spark's own
(`SparkConnectServer`, shipped in pyspark's jars), launched with exactly the settings a job's session gets
(`spark/session.py:spark_conf`), bound to 127.0.0.1. The jobs' code reaches its Python workers as the
project zip each session adds (`spark/session.py`), as it would reach a cluster's. Once it answers, a small
warm-up job (`spark/warm_up.py`) runs on it in the background, so the first task does not pay the server's
class loading and JIT.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from infra import local_process
from infra.local_service import LocalService

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
WARM_UP = "spark.warm_up"


class SparkConnectLocal(LocalService):
    """Ready when its gRPC port accepts connections."""

    name = "spark_connect"
    title = "Spark Connect server"
    stop_grace_s = 30.0

    @property
    def address(self) -> str:
        return f"sc://127.0.0.1:{self.settings.spark_connect_port}"

    @property
    def ports(self) -> dict[str, int]:
        return {"SHELFWISE_SPARK_CONNECT_PORT": self.settings.spark_connect_port}

    @property
    def marker(self) -> str:
        return f"spark.connect.grpc.binding.port={self.settings.spark_connect_port}"

    def command(self) -> list[str]:
        from spark.session import spark_conf  # lazy: keeps `shelfwise services` from importing Spark helpers

        secret = (".access.key", ".secret.key")  # from the environment (env below), never a command line
        conf = {key: value for key, value in spark_conf(self.settings).items() if not key.endswith(secret)}
        settings = {**conf, "spark.app.name": "shelfwise-connect",
                    "spark.connect.grpc.binding.address": "127.0.0.1",
                    "spark.connect.grpc.binding.port": str(self.settings.spark_connect_port)}
        confs = [arg for key, value in settings.items() for arg in ("--conf", f"{key}={value}")]
        return [str(Path(sys.executable).parent / "spark-submit"), "--class", SERVER_CLASS, *confs,
                "spark-internal"]

    def env(self) -> dict[str, str]:
        # the server's Python workers run the virtualenv's interpreter; the code comes with each session;
        # S3A finds the lake's keys in the environment (its default credential chain)
        settings = self.settings
        keys = {"AWS_ACCESS_KEY_ID": settings.s3_access_key, "AWS_SECRET_ACCESS_KEY": settings.s3_secret}
        return {**settings.as_env(), **(keys if settings.lake_kind == "s3" else {}),
                "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}

    def is_ready(self) -> bool:
        return local_process.accepts_connections(self.settings.spark_connect_port)

    @property
    def warm_up_pid_file(self) -> Path:
        return self.home / "warm_up.pid"

    @property
    def warm_up_log(self) -> Path:
        return self.home / "warm_up.log"

    def after_ready(self) -> None:
        """Warm the server in a process of its own (a Connect session cannot live beside a local Spark,
        which the caller may hold) and without waiting: Airflow starts meanwhile."""
        if local_process.read_pid(self.warm_up_pid_file, WARM_UP) is None:
            command = [sys.executable, "-m", WARM_UP, self.address]
            local_process.launch(command, {}, self.warm_up_log, self.warm_up_pid_file)

    def wait_for_warm_up(self, timeout_s: float = 120.0) -> str:
        """Block until the warm-up has ended (for tests and benchmarks); returns the last line it logged."""
        deadline = time.monotonic() + timeout_s
        while local_process.read_pid(self.warm_up_pid_file, WARM_UP) is not None:
            if time.monotonic() > deadline:
                raise self.fail(f"warm-up still running after {timeout_s:g}s", self.warm_up_log)
            time.sleep(0.2)
        lines = self.warm_up_log.read_text().splitlines() if self.warm_up_log.exists() else []
        return lines[-1] if lines else ""

    def stop(self) -> bool:
        warm_up = local_process.read_pid(self.warm_up_pid_file, WARM_UP)
        if warm_up is not None:
            local_process.stop(warm_up, 5.0)
        self.warm_up_pid_file.unlink(missing_ok=True)
        return super().stop()
