"""The shape of the extra an asset event carries, validated so consumers can rely on it."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from assets.records import Record
from expectations.result import NAMED_FAILURES, bounded


class GateSummary(BaseModel):
    """What the quality gate said about the published partitions."""

    model_config = ConfigDict(extra="forbid")

    suite: str | None
    passed: bool
    evaluated: NonNegativeInt = 0
    blocking: list[dict] = Field(default_factory=list, max_length=NAMED_FAILURES)
    warnings: list[dict] = Field(default_factory=list, max_length=NAMED_FAILURES)
    blocking_total: NonNegativeInt = 0
    warnings_total: NonNegativeInt = 0
    report: str | None = None


class AssetEventExtra(BaseModel):
    """One asset event: the partitions it changed, their data versions, exactly what they were built from."""

    model_config = ConfigDict(extra="forbid")

    asset: str
    run_id: str
    code_version: str
    partitions: list[str] = Field(min_length=1)
    data_versions: dict[str, str]
    input_versions: dict[str, dict[str, str]]
    row_count: NonNegativeInt
    rows_by_partition: dict[str, NonNegativeInt]
    gate: GateSummary


def event_extra(asset: str, run_id: str, code_version: str, records: Sequence[Record], gate: dict) -> dict:
    """The validated extra for the records one run published (input versions merged over its partitions)."""
    inputs: dict[str, dict[str, str]] = {}
    for record in records:
        for upstream, versions in record.input_versions.items():
            inputs.setdefault(upstream, {}).update(versions)
    extra = AssetEventExtra(
        asset=asset,
        run_id=run_id,
        code_version=code_version,
        partitions=[r.partition for r in records],
        data_versions={r.partition: r.data_version for r in records},
        input_versions={u: dict(sorted(v.items())) for u, v in sorted(inputs.items())},
        row_count=sum(r.row_count for r in records),
        rows_by_partition={r.partition: r.row_count for r in records},
        gate=GateSummary(**bounded(gate)) if gate else GateSummary(suite=None, passed=True),
    )
    return extra.model_dump(mode="json")
