"""The files people configure by hand stay in step with the settings: .env.example and docker-compose.yml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from infra.airflow_local import airflow_env
from infra.settings import Settings

REPO = Path(__file__).resolve().parents[3]
COMPOSE = yaml.safe_load((REPO / "infra" / "docker-compose.yml").read_text())


def setting_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        names.add(choices[0] if choices else f"SHELFWISE_{name.upper()}")
    return names


def test_env_example_lists_every_setting():
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.MULTILINE))
    assert setting_names() - listed == set(), "add the missing settings to .env.example"


def test_env_example_commits_no_secret():
    text = (REPO / ".env.example").read_text()
    for secret in ("SHELFWISE_S3_SECRET_KEY", "CLICKHOUSE_PASSWORD", "AIRFLOW_DB_PASSWORD"):
        assert re.search(rf"^{secret}=$", text, re.MULTILINE), f"{secret} must be empty in .env.example"


def test_compose_has_a_counterpart_for_every_local_service():
    from infra.services import SERVICES

    compose = set(COMPOSE["services"])
    assert set(SERVICES) <= compose
    # what the embedded defaults replace locally: chdb -> ClickHouse server, local[2] -> Spark cluster,
    # airflow standalone on SQLite -> Airflow components on Postgres
    assert {"clickhouse", "spark-master", "spark-worker", "postgres"} <= compose
    assert {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"} <= compose


def test_compose_environment_uses_only_names_the_settings_read():
    env = COMPOSE["x-shelfwise-env"]
    assert set(env) <= setting_names(), "a compose variable no shelfwise setting reads"
    assert env["SHELFWISE_LAKE_URL"].startswith("s3://")
    bucket = env["SHELFWISE_LAKE_URL"].removeprefix("s3://").split("/")[0]
    assert f"lake/{bucket}" in COMPOSE["services"]["minio-init"]["entrypoint"]
    assert env["SHELFWISE_KAFKA_BOOTSTRAP"].split(":")[0] == "kafka"


def test_compose_mounts_the_same_ddl_the_migrations_apply():
    volumes = COMPOSE["services"]["clickhouse"]["volumes"]
    assert any(v.startswith("../sql/ddl:") for v in volumes)
    assert (REPO / "sql" / "ddl").is_dir()


def test_compose_kafka_version_matches_the_local_broker():
    pom = (REPO / "infra" / "kafka" / "pom.xml").read_text()
    version = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom).group(1)
    assert COMPOSE["services"]["kafka"]["image"] == f"apache/kafka:{version}"


def test_compose_creates_every_topic_the_local_broker_gets_with_its_settings():
    from infra.kafka_local import TOPIC_CONFIG
    from spark.schemas import DEAD_LETTER_TOPIC, RESTOCK_ALERTS_TOPIC, TOPICS

    init = COMPOSE["services"]["kafka-init"]
    topics = re.search(r"for topic in ([^;]+);", init["entrypoint"]).group(1).split()
    assert topics == [*TOPICS, DEAD_LETTER_TOPIC, RESTOCK_ALERTS_TOPIC]
    configs = dict(re.findall(r"--config (\S+)=(\S+)", init["entrypoint"]))
    assert configs == TOPIC_CONFIG
    assert init["image"] == COMPOSE["services"]["kafka"]["image"]


def spark_master_resolved_by_the_provider(monkeypatch, connection_env: dict[str, str]) -> str:
    """The master the Apache Spark provider's own hook resolves from the connection the DAGs name."""
    from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook

    from infra.airflow_wiring import SPARK_CONN_ID

    for name, value in connection_env.items():
        monkeypatch.setenv(name, value)
    return SparkSubmitHook(conn_id=SPARK_CONN_ID)._resolve_connection()["master"]


def test_compose_defines_the_spark_connection_the_dags_use_as_the_local_stack_does(monkeypatch):
    from infra.airflow_local import AirflowStandalone
    from infra.airflow_wiring import clickhouse_connection_env, spark_connection_env

    airflow_env = COMPOSE["x-airflow"]["environment"]
    compose_connections = {k: v for k, v in airflow_env.items() if k.startswith("AIRFLOW_CONN_")}
    master = COMPOSE["x-shelfwise-env"]["SHELFWISE_SPARK_MASTER"]
    local = spark_connection_env(Settings(spark_master=master))
    server = connections_only(clickhouse_connection_env(Settings(clickhouse_url=SERVER)))
    local_connections = {**connections_only(AirflowStandalone(Settings()).env()), **server}
    assert set(compose_connections) == set(local_connections), "compose must define the connections tasks use"
    assert spark_master_resolved_by_the_provider(monkeypatch, compose_connections) == master
    assert spark_master_resolved_by_the_provider(monkeypatch, local) == master
    local_default = spark_connection_env(Settings())
    assert spark_master_resolved_by_the_provider(monkeypatch, local_default) == Settings().spark_master


def test_compose_and_the_local_stack_build_on_a_spark_connect_server_with_the_same_session_settings(
    monkeypatch,
):
    import shlex

    from assets.airflow_render import spark_remote_from_connection
    from infra.airflow_local import AirflowStandalone
    from infra.spark_connect_local import SERVER_CLASS, SparkConnectLocal
    from spark.session import spark_conf

    airflow_env, server = COMPOSE["x-airflow"]["environment"], COMPOSE["services"]["spark-connect"]
    local = AirflowStandalone(Settings(spark_connect_port=15002))
    connection = "AIRFLOW_CONN_SHELFWISE_SPARK_CONNECT"
    for env in (airflow_env, local.env()):
        monkeypatch.setenv(connection, env[connection])
        resolved = spark_remote_from_connection()  # the provider's own SparkConnectHook
        assert resolved.startswith(env["SHELFWISE_SPARK_REMOTE"]), (resolved, env["SHELFWISE_SPARK_REMOTE"])
    host, port = airflow_env["SHELFWISE_SPARK_REMOTE"].removeprefix("sc://").split(":")
    assert host == "spark-connect" and f"spark.connect.grpc.binding.port={port}" in server["command"]

    def confs(command: list[str]) -> dict[str, str]:
        pairs = [command[i + 1] for i, word in enumerate(command) if word == "--conf"]
        return dict(pair.split("=", 1) for pair in pairs)

    compose = confs(shlex.split(server["command"]))
    assert SERVER_CLASS in server["command"] and isinstance(local.spark_connect, SparkConnectLocal)
    # what changes results is the same on both servers; the rest is where each runs (master, memory, jars)
    machine = ("spark.master", "spark.driver.", "spark.jars", "spark.pyspark.", "spark.ui.", "spark.app.")
    on_minio = Settings(lake_url="s3://shelfwise/lake", s3_endpoint="http://minio:9000")
    for key, value in spark_conf(on_minio).items():
        if not key.startswith(machine) and not key.endswith((".access.key", ".secret.key", "ssl.enabled")):
            assert compose.get(key) == value, key


SERVER = "http://shelfwise:s%40cret@clickhouse:8123/shelfwise"


def connections_only(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith("AIRFLOW_CONN_")}


def warehouse_resolved_by_a_task(monkeypatch, connection_env: dict[str, str]) -> str | None:
    """What the tasks' settings get as the warehouse server from these connection variables (Airflow's own
    lookup, the environment backend)."""
    from assets.airflow_render import warehouse_url_from_connection

    for name, value in connection_env.items():
        monkeypatch.setenv(name, value)
    return warehouse_url_from_connection()


def test_compose_and_the_local_stack_hand_the_tasks_the_same_clickhouse_connection(monkeypatch):
    from infra.airflow_wiring import clickhouse_connection_env

    compose_value = COMPOSE["x-airflow"]["environment"]["AIRFLOW_CONN_SHELFWISE_CLICKHOUSE"]
    assert "CLICKHOUSE_URL" not in COMPOSE["x-shelfwise-env"], "the connection is the tasks' one way in"
    password = re.compile(r"\$\{CLICKHOUSE_PASSWORD[^}]*\}")  # what compose substitutes from .env
    compose = {"AIRFLOW_CONN_SHELFWISE_CLICKHOUSE": password.sub("s@cret", compose_value)}
    assert warehouse_resolved_by_a_task(monkeypatch, compose) == SERVER
    local = clickhouse_connection_env(Settings(clickhouse_url=SERVER))
    assert local["CLICKHOUSE_URL"] == local["SHELFWISE_CLICKHOUSE_URL"] == "", "so no task bypasses it"
    assert warehouse_resolved_by_a_task(monkeypatch, connections_only(local)) == SERVER


def test_without_a_server_no_connection_is_made_and_tasks_keep_the_embedded_warehouse(monkeypatch):
    from infra.airflow_wiring import clickhouse_connection

    monkeypatch.delenv("AIRFLOW_CONN_SHELFWISE_CLICKHOUSE", raising=False)
    assert warehouse_resolved_by_a_task(monkeypatch, connections_only(airflow_env(Settings()))) is None
    with pytest.raises(ValueError, match="http"):
        clickhouse_connection("clickhouse://nobody")


def test_compose_creates_the_spark_pool_the_materialize_tasks_run_in_as_the_local_stack_does():
    import shlex

    from infra.airflow_wiring import SPARK_POOL, pool_command

    init = COMPOSE["services"]["airflow-init"]["command"][-1]
    migrate, pool = (shlex.split(part) for part in init.split("&&"))
    slots = str(Settings().spark_pool_slots)
    assert migrate == ["airflow", "db", "migrate"]
    assert [slots if w == "${SHELFWISE_SPARK_POOL_SLOTS:-2}" else w for w in pool] == [
        "airflow", *pool_command(Settings().spark_pool_slots)]  # fmt: skip
    assert pool[3] == SPARK_POOL
