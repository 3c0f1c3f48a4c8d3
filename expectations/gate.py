"""The gate step: validate the partitions just built against the asset's suite, before anything publishes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spark.context import JobContext

SUITES_DIR = Path(__file__).resolve().parent / "suites"


@dataclass
class GateResult:
    """Outcome of one gate run. `blocking` failures stop the downstream; warnings only travel along."""

    suite: str | None
    passed: bool
    blocking: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    report: str | None = None
    evaluated: int = 0

    @property
    def failed_partitions(self) -> list[str]:
        """The partitions with a blocking failure (the others of the batch passed their checks)."""
        return sorted({f["partition"] for f in self.blocking if "partition" in f})

    def failure_message(self) -> str:
        """One line naming the blocking expectations and where the report is (CLI, task log, records)."""
        names = ", ".join(sorted({f["expectation"] for f in self.blocking})) or "blocking expectation"
        return f"gate {self.suite} failed: {names}" + (f" (report: {self.report})" if self.report else "")

    def summary(self) -> dict:
        return {
            "suite": self.suite,
            "passed": self.passed,
            "evaluated": self.evaluated,
            "blocking": self.blocking,
            "warnings": self.warnings,
            "report": self.report,
        }


def validate(ctx: JobContext) -> GateResult:
    """Run the asset's suite on ctx.partitions; an asset without a gate passes with nothing evaluated."""
    gate = ctx.asset.gate
    if gate is None or not (SUITES_DIR / f"{gate.suite}.json").exists():
        return GateResult(suite=None, passed=True)
    from expectations.suites import run_suite

    return run_suite(ctx, gate.suite)
