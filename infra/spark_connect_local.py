"""A Spark Connect server as a local service: one long-lived Spark that Airflow's tasks build on.

Every spark-submit pays a JVM and its Spark start-up (~15 s) before any work, which a one-day build does not
need: a task that connects to this server starts its work at once. The server is Spark's own
(`SparkConnectServer`, shipped in pyspark's jars), launched with exactly the settings a job's session gets
(`spark/session.py:spark_conf`), bound to 127.0.0.1. The jobs' code reaches its Python workers as the
project zip each session adds (`spark/session.py`), as it would reach a cluster's.
"""

from __future__ import annotations

import sys
from pathlib import Path

from infra import local_process
from infra.local_service import LocalService

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


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
