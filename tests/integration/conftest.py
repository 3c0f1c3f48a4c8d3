"""One local Spark session for every Spark test of the tier (JobContext.spark reuses it via getOrCreate)."""

from __future__ import annotations

import pytest

from infra.settings import Settings


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory):
    """The shared session; started once, stopped at the end of the test session."""
    from spark.session import get_spark

    session = get_spark(Settings(home=tmp_path_factory.mktemp("spark-home"), lake_url="", clickhouse_url=""))
    yield session
    session.stop()
