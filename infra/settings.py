"""The one place that maps the environment to endpoints and paths.

Every value comes from a `SHELFWISE_*` variable (or `.env`), with a default that runs on one machine.
Nothing here is read at import: call `get_settings()`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Where the lake, warehouse, broker and Spark are; defaults describe the embedded local stack."""

    model_config = SettingsConfigDict(
        env_prefix="SHELFWISE_",
        env_file=(".env", str(REPO_ROOT / ".env")),
        extra="ignore",
        populate_by_name=True,
    )

    home: Path = Field(REPO_ROOT / ".shelfwise", description="Run directory: service data, logs, chdb, lake.")
    cache_dir: Path = Field(
        Path.home() / ".cache" / "shelfwise",
        description="Downloaded and built artefacts kept between clones (Kafka jars, MinIO binary).",
    )

    lake_url: str = Field("", description="file:///path or s3://bucket/prefix; empty means <home>/lake.")
    s3_endpoint: str = Field("http://127.0.0.1:9000", description="S3 endpoint used when lake_url is s3://.")
    s3_access_key: str = Field("shelfwise", description="S3 / MinIO access key.")
    s3_secret_key: SecretStr = Field(SecretStr(""), description="S3 / MinIO secret key; empty: generated.")

    clickhouse_url: str = Field(
        "",
        validation_alias=AliasChoices("CLICKHOUSE_URL", "SHELFWISE_CLICKHOUSE_URL"),
        description="http(s)://user:pass@host:8123/db of a ClickHouse server; empty: embedded chdb.",
    )
    warehouse_path: Path | None = Field(
        None, description="chdb data directory; empty means <home>/warehouse."
    )
    warehouse_database: str = "shelfwise"
    warehouse_lock_timeout_s: float = Field(60.0, description="Longest wait for the chdb directory lock.")

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_controller_port: int = 9093
    minio_console_port: int = 9001

    spark_master: str = "local[2]"
    spark_driver_memory: str = "2g"
    spark_remote: str = Field(
        "", description="sc://host:port of a Spark Connect server jobs run on; empty: a Spark of their own."
    )
    spark_connect_port: int = Field(15002, description="Port of the local Spark Connect server (Airflow's).")
    spark_pool_slots: int = Field(
        2, ge=1, description="Airflow pool: asset builds submitted to Spark at once (the cores of local[2])."
    )

    alerts_to_kafka: bool = Field(
        True, description="Send urgent reorder rows to the restock-alerts topic after their gate passes."
    )

    ingest_max_quarantine_rate: float = Field(
        0.05, description="Share of a Kafka ingest batch that may be quarantined before the run fails."
    )
    ingest_retention_days: int = Field(400, description="Events older than this many days are quarantined.")
    lake_retention_hours: float = Field(
        24.0, ge=0, description="How long a build the published index no longer names is kept for readers "
        "that resolved the index before the publish (also how long a killed run's leftovers stay).",
    )

    airflow_port: int = 8080
    service_start_timeout_s: float = 90.0

    @property
    def lake(self) -> str:
        """The lake root as a URL (file:// or s3://), never ending in '/'."""
        url = self.lake_url or (self.home / "lake").resolve().as_uri()
        return url.rstrip("/")

    @property
    def warehouse_label(self) -> str:
        """Where the warehouse is, fit to print: the server URL with its password masked, or the chdb path."""
        if not self.clickhouse_url:
            return str(self.chdb_path)
        return redact_url(self.clickhouse_url)

    @property
    def lake_kind(self) -> Literal["file", "s3"]:
        return "s3" if self.lake.startswith("s3://") else "file"

    @property
    def chdb_path(self) -> Path:
        return (self.warehouse_path or self.home / "warehouse").resolve()

    @property
    def kafka_port(self) -> int:
        return int(self.kafka_bootstrap.rsplit(":", 1)[1])

    @property
    def minio_port(self) -> int:
        return int(self.s3_endpoint.rsplit(":", 1)[1].split("/")[0])

    @property
    def minio_secret_file(self) -> Path:
        return self.run_dir / "minio" / "secret"

    @property
    def s3_secret(self) -> str:
        """The S3 secret: from the environment, else the one `shelfwise services up` generated for MinIO."""
        if self.s3_secret_key.get_secret_value():
            return self.s3_secret_key.get_secret_value()
        return self.minio_secret_file.read_text().strip() if self.minio_secret_file.exists() else ""

    @property
    def run_dir(self) -> Path:
        """Service pids, logs and data."""
        return self.home / "run"

    def as_env(self) -> dict[str, str]:
        """These settings as the environment variables that recreate them in a child process (a Spark job,
        an Airflow task, the live-stock stream), so every process of one run sees the same lake and
        warehouse."""
        env = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            choices = getattr(field.validation_alias, "choices", None)
            env[choices[0] if choices else f"SHELFWISE_{name.upper()}"] = str(value)
        return env


def redact_url(url: str) -> str:
    """`url` with the password of its user-info replaced by ***, so it can be logged or printed."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once)."""
    return Settings()
