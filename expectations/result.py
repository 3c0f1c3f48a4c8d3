"""What a gate run found (GateResult), and the bounded summary of it that travels with events and XComs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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
