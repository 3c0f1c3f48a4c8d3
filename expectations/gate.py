"""The gate step: validate the partitions just built against the asset's suite, before anything publishes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.result import SUITES_DIR, GateResult

if TYPE_CHECKING:
    from spark.context import JobContext


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
    from expectations.suites import run_suite  # lazy: pandas and Great Expectations, for a gate that runs

    return run_suite(ctx, gate.suite)
