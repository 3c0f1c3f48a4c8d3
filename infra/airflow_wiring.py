"""What the rendered DAGs and the Airflow launcher agree on: the Spark, Spark Connect and ClickHouse
connections, the pool the materialize tasks use, and the settings handed to tasks. Plain names and dicts: no
Airflow, no CLI."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from infra.settings import Settings

SPARK_CONN_ID = "shelfwise_spark"
SPARK_CONNECT_CONN_ID = "shelfwise_spark_connect"  # where builds run when the settings name a Connect server
CLICKHOUSE_CONN_ID = "shelfwise_clickhouse"  # the warehouse server; without it tasks use the embedded chdb
SPARK_POOL = "shelfwise_spark"  # bounds the asset builds submitted to Spark at once, across every DAG


def spark_connection_env(settings: Settings) -> dict[str, str]:
    """The `AIRFLOW_CONN_SHELFWISE_SPARK` variable: spark-submit against the settings' master (local[2])."""
    value = {"conn_type": "spark", "host": settings.spark_master, "extra": {"deploy-mode": "client"}}
    return {f"AIRFLOW_CONN_{SPARK_CONN_ID.upper()}": json.dumps(value)}


def spark_connect_connection_env(settings: Settings) -> dict[str, str]:
    """The `AIRFLOW_CONN_SHELFWISE_SPARK_CONNECT` variable for the settings' Spark Connect server, if any."""
    if not settings.spark_remote:
        return {}
    address = urlsplit(settings.spark_remote)
    value = {"conn_type": "spark_connect", "host": address.hostname, "port": address.port}
    return {f"AIRFLOW_CONN_{SPARK_CONNECT_CONN_ID.upper()}": json.dumps(value)}


def clickhouse_connection_env(settings: Settings) -> dict[str, str]:
    """The `AIRFLOW_CONN_SHELFWISE_CLICKHOUSE` variable for a ClickHouse server (none for the embedded chdb),
    and the server URL variables blanked, so the tasks' one way to the server is that connection."""
    if not settings.clickhouse_url:
        return {}
    connection = json.dumps(clickhouse_connection(settings.clickhouse_url))
    return {f"AIRFLOW_CONN_{CLICKHOUSE_CONN_ID.upper()}": connection,
            "CLICKHOUSE_URL": "", "SHELFWISE_CLICKHOUSE_URL": ""}  # fmt: skip


def clickhouse_connection(url: str) -> dict[str, Any]:
    """A server URL (http(s)://user:password@host:port/database) as an Airflow connection's fields."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("a ClickHouse server URL is http(s)://user:password@host:port/database")
    return {
        "conn_type": "generic", "host": parts.hostname, "port": parts.port or 8123,
        "login": unquote(parts.username or "default"), "password": unquote(parts.password or ""),
        "schema": parts.path.strip("/"), "extra": {"protocol": parts.scheme},
    }  # fmt: skip


def clickhouse_url_of(connection: Any) -> str:
    """The server URL an Airflow connection (host, port, login, password, schema, extra) names."""
    extra = connection.extra_dejson or {}
    login, password = quote(connection.login or "default", safe=""), quote(connection.password or "", safe="")
    credentials = f"{login}:{password}"
    address = f"{connection.host}:{connection.port or 8123}"
    return f"{extra.get('protocol', 'http')}://{credentials}@{address}/{connection.schema or ''}"


def settings_env(settings: Settings) -> dict[str, str]:
    """SHELFWISE_* variables so child processes (Airflow, spark-submit) see the same lake and warehouse.

    Secrets stay out: Airflow shows a task's env in its rendered templates. Children read them from the
    environment they inherit (or, for local MinIO, the generated secret file)."""
    return {k: v for k, v in settings.as_env().items() if k not in SECRET_VARIABLES}


SECRET_VARIABLES = {"SHELFWISE_S3_SECRET_KEY", "CLICKHOUSE_URL"}


def pool_command(slots: int) -> list[str]:
    """`airflow pools set …` arguments for the Spark pool (creates it, or sets its slots)."""
    return ["pools", "set", SPARK_POOL, str(slots), "asset builds submitted to Spark at once"]
