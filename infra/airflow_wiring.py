"""What the rendered DAGs and the Airflow launcher agree on: the Spark connection and pool the materialize
tasks use, and the settings handed to tasks. Plain names and dicts: no Airflow, no CLI imported."""

from __future__ import annotations

import json

from infra.settings import Settings

SPARK_CONN_ID = "shelfwise_spark"
SPARK_POOL = "shelfwise_spark"  # bounds the asset builds submitted to Spark at once, across every DAG


def spark_connection_env(settings: Settings) -> dict[str, str]:
    """The `AIRFLOW_CONN_SHELFWISE_SPARK` variable: spark-submit against the settings' master (local[2])."""
    value = {"conn_type": "spark", "host": settings.spark_master, "extra": {"deploy-mode": "client"}}
    return {f"AIRFLOW_CONN_{SPARK_CONN_ID.upper()}": json.dumps(value)}


def settings_env(settings: Settings) -> dict[str, str]:
    """SHELFWISE_* variables so child processes (Airflow, spark-submit) see the same lake and warehouse.

    Secrets stay out: Airflow shows a task's env in its rendered templates. Children read them from the
    environment they inherit (or, for local MinIO, the generated secret file)."""
    return {k: v for k, v in settings.as_env().items() if k not in SECRET_VARIABLES}


SECRET_VARIABLES = {"SHELFWISE_S3_SECRET_KEY", "CLICKHOUSE_URL"}


def pool_command(slots: int) -> list[str]:
    """`airflow pools set …` arguments for the Spark pool (creates it, or sets its slots)."""
    return ["pools", "set", SPARK_POOL, str(slots), "asset builds submitted to Spark at once"]
