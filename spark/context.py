"""What a job is handed (JobContext) and what it hands back (JobResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from infra.lake import build_path, spark_url
from infra.settings import Settings
from spark.session import get_spark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from assets.graph import AssetGraph
    from assets.model import AssetSpec


@dataclass
class JobContext:
    """One build of one asset over a set of partitions (sorted day keys; [''] when unpartitioned).

    A job sees its own asset and the upstreams it declares, nothing else of the graph: `locations` maps each
    of them to its storage path, `inputs` holds the versions of the upstream partitions the plan resolved.
    """

    asset: AssetSpec
    partitions: tuple[str, ...]
    settings: Settings
    run_id: str
    locations: dict[str, str]
    # The versions of the upstream partitions this build reads, as planned: upstream -> {partition: version}.
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)
    staged: bool = True  # False only for a job run outside a run (tests, benchmarks): it writes in place

    @classmethod
    def of(cls, graph: AssetGraph, asset: AssetSpec | str, partitions: tuple[str, ...], settings: Settings,
           run_id: str, inputs: dict[str, dict[str, str]] | None = None) -> JobContext:  # fmt: skip
        """The context of a build of `asset` (a name in `graph`, or a spec) with its declared locations."""
        spec = graph[asset] if isinstance(asset, str) else asset
        names = (spec.name, *spec.upstream_names)
        locations = {name: graph[name].storage.path for name in names if name in graph.assets}
        locations[spec.name] = spec.storage.path
        return cls(spec, tuple(partitions), settings, run_id, locations, inputs or {})

    @classmethod
    def in_place(cls, graph: AssetGraph, asset: AssetSpec | str, partitions: tuple[str, ...],
                 settings: Settings, run_id: str) -> JobContext:  # fmt: skip
        """A job run by itself, outside any run (a test of what it computes, a benchmark): it writes its days
        as plain `date=` folders of the asset, which readers see while no run has published the asset (an
        asset with a published index is read through it only), and its gate reads them there. Runs never
        build this way."""
        ctx = cls.of(graph, asset, partitions, settings, run_id)
        ctx.staged = False
        return ctx

    def location(self, asset_name: str) -> str:
        """The storage path of this asset or of one it declares upstream; reading anything else is a bug."""
        try:
            return self.locations[asset_name]
        except KeyError:
            raise KeyError(
                f"{self.asset.name}'s job reads {asset_name}, which it does not declare upstream"
            ) from None

    @cached_property
    def spark(self) -> SparkSession:
        return get_spark(self.settings)

    def close(self) -> None:
        """End the job's Spark Connect session, if it opened one: the server then frees what the job left
        there (cached frames, the fitted models its ML cache keeps per session). A local Spark stays up for
        the process's next job."""
        if self.settings.spark_remote and "spark" in self.__dict__:
            self.__dict__.pop("spark").stop()

    @property
    def output(self) -> str:
        """The lake-relative folder this build writes its partitions to. A derived asset writes to its run's
        build folder, which readers reach only once publish names its days in the asset's published index
        (write, audit, publish). A source lands what arrived in place; its gate holds consumers out."""
        if not (self.asset.staged and self.staged):
            return self.asset.storage.path
        return build_path(self.asset.storage.path, self.run_id)

    def output_path(self) -> str:
        """`output` as Spark names it."""
        return spark_url(self.settings, self.output)

    def path(self, asset_name: str | None = None) -> str:
        """Spark-readable folder of an asset (this one's by default). Its days are read through the asset's
        published index (spark/jobs/lake_io.py), never by listing this folder."""
        return spark_url(self.settings, self.location(asset_name or self.asset.name))


@dataclass
class JobResult:
    """What a build produced. Source jobs also report the version of every partition they now hold."""

    row_count: int
    partition_versions: dict[str, str] | None = None
    rows_by_partition: dict[str, int] | None = None
    details: dict[str, Any] = field(default_factory=dict)
