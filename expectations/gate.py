"""The gate step: validate the partitions just built against the asset's suite, before anything publishes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spark.context import JobContext

SUITES_DIR = Path(__file__).resolve().parent / "suites"
NAMED_FAILURES = 20  # per severity in an event extra or XCom; dq_results and Data Docs keep every one


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


def bounded(summary: dict) -> dict:
    """A gate summary small enough for an asset event's extra or an Airflow XCom, however many partitions the
    run had: each failure named by expectation, partition, column and count (no sample rows, which stay in
    Data Docs and dq_results), at most NAMED_FAILURES of each severity, with the totals."""
    keep = ("expectation", "partition", "column", "unexpected_count")
    small = {key: summary.get(key) for key in ("suite", "passed", "evaluated", "report")}
    for severity in ("blocking", "warnings"):
        found = summary.get(severity) or []
        small[severity] = [{k: f[k] for k in keep if k in f} for f in found[:NAMED_FAILURES]]
        small[f"{severity}_total"] = len(found)
    return small


def validate(ctx: JobContext) -> GateResult:
    """Run the asset's suite on ctx.partitions; an asset without a gate passes with nothing evaluated, and a
    gate whose suite file is missing fails closed (a renamed file must not wave every partition through)."""
    gate = ctx.asset.gate
    if gate is None:
        return GateResult(suite=None, passed=True)
    if not (SUITES_DIR / f"{gate.suite}.json").exists():
        missing = {"expectation": "suite file exists", "why": f"{SUITES_DIR / gate.suite}.json is missing",
                   "observed": "no suite", "unexpected_count": len(ctx.partitions)}  # fmt: skip
        return GateResult(suite=gate.suite, passed=False, blocking=[
            {**missing, "partition": key} for key in ctx.partitions] or [missing])  # fmt: skip
    from expectations.suites import run_suite

    return run_suite(ctx, gate.suite)
