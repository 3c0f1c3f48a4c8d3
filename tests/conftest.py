"""Fixtures every tier shares: isolated settings, and the real local services started once per session.

Isolated means: a home under pytest's tmp dir, the embedded warehouse, a file lake and free ports, whatever
the developer's environment or running services say. The jar and binary cache (SHELFWISE_CACHE_DIR) is shared.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from infra import services as local_services
from infra.settings import Settings

SERVICES_LAKE = "s3://shelfwise-test/lake"


def free_ports(count: int) -> list[int]:
    """`count` distinct ports nothing listens on right now (bound together so they differ)."""
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def isolated_settings(home: Path, **overrides) -> Settings:
    """Settings rooted at `home` with their own ports; `overrides` are Settings fields."""
    kafka, controller, minio, console, spark_connect = free_ports(5)
    values = {
        "home": home,
        "lake_url": "",
        "clickhouse_url": "",
        "warehouse_path": None,
        "s3_secret_key": SecretStr(""),
        "kafka_bootstrap": f"127.0.0.1:{kafka}",
        "kafka_controller_port": controller,
        "s3_endpoint": f"http://127.0.0.1:{minio}",
        "minio_console_port": console,
        "spark_connect_port": spark_connect,
        "alerts_to_kafka": False,  # no broker here; the `services` settings turn alerts on
    }
    return Settings(**{**values, **overrides})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """An isolated home (file lake, embedded chdb) for tests that start no service."""
    return isolated_settings(tmp_path / "home")


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    """Makes further isolated settings (each its own home and ports), e.g. for a second, throw-away stack."""
    made = iter(range(1_000))
    return lambda **overrides: isolated_settings(tmp_path / f"home-{next(made)}", **overrides)


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The real Kafka broker and MinIO server, started once for the session; yields their settings.

    The lake is s3:// on that MinIO. A service that cannot start makes the tests needing it error, never skip.
    """
    settings = isolated_settings(
        tmp_path_factory.mktemp("services") / "home", lake_url=SERVICES_LAKE, alerts_to_kafka=True
    )
    try:
        local_services.start_all(settings)
        yield settings
    finally:
        local_services.stop_all(settings)


def on_minio(services: Settings, home: Path, lake: str, **overrides) -> Settings:
    """The services' broker and MinIO seen from another home (nothing shared on disk): the S3 secret is
    passed on, since a fresh home has no copy of the file MinIO's launcher wrote it to."""
    secret = SecretStr(services.s3_secret)
    return services.model_copy(update={"home": home, "lake_url": lake, "s3_secret_key": secret, **overrides})


# The one tier allowed to skip is the ClickHouse-server tier, and only where CLICKHOUSE_URL is unset.
# Any other skip (a missing binary, an import turned into a skip) hides a broken install: it fails the run.
_unexpected_skips: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    allowed = "clickhouse_server" in report.keywords and not os.environ.get("CLICKHOUSE_URL")
    if not allowed:
        _unexpected_skips.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _unexpected_skips and session.config.getoption("-m", "") != "bench" and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if _unexpected_skips and terminalreporter.config.getoption("-m", "") != "bench":
        terminalreporter.section("unexpected skips (only the ClickHouse-server tier may skip)", red=True)
        for nodeid in _unexpected_skips:
            terminalreporter.line(nodeid)
