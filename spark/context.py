"""What a job is handed (JobContext) and what it hands back (JobResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from infra.lake import spark_url
from infra.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from assets.graph import AssetGraph
    from assets.model import AssetSpec


@dataclass
class JobContext:
    """One build of one asset over a set of partitions (sorted day keys; [''] when unpartitioned)."""

    graph: AssetGraph
    asset: AssetSpec
    partitions: tuple[str, ...]
    settings: Settings
    run_id: str
    # The versions of the upstream partitions this build reads, as planned: upstream -> {partition: version}.
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)

    @cached_property
    def spark(self) -> SparkSession:
        from spark.session import get_spark

        return get_spark(self.settings)

    def path(self, asset_name: str | None = None) -> str:
        """Spark-readable location of an asset (this one by default): file:// or s3a://."""
        spec = self.graph[asset_name or self.asset.name]
        return spark_url(self.settings, spec.storage.path)


@dataclass
class JobResult:
    """What a build produced. Source jobs also report the version of every partition they now hold."""

    row_count: int
    partition_versions: dict[str, str] | None = None
    rows_by_partition: dict[str, int] | None = None
    details: dict[str, Any] = field(default_factory=dict)
