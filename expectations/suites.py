"""Run one asset's suite on the partitions just built: GX validation, Data Docs, `dq_results` rows, verdict.

Every expectation carries `meta.severity` (block: the asset's downstream must not run; warn: recorded and
reported) and `meta.why` (the retail failure it catches). Imported lazily by expectations.gate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from expectations.docs import GateContext, page_url
from expectations.prepare import Partition, prepare, references_read_once, stack_frame
from expectations.result import SUITES_DIR, GateResult
from expectations.stacked import Check, checks, stacks, verdicts
from infra.warehouse import Warehouse
from spark.contracts import limit

if TYPE_CHECKING:
    from spark.context import JobContext

SEVERITIES = ("block", "warn")
SAMPLE_ROWS = 5
CHECK = "shelfwise_check"  # meta key: which planned check a GX result belongs to


@dataclass
class Finding:
    """One expectation evaluated on one partition."""

    partition: str
    number: int  # the expectation's position in its suite
    expectation: str
    column: str
    severity: str
    why: str
    success: bool
    observed: str
    unexpected_count: int
    element_count: int
    sample_rows: list[dict]
    report: str

    def summary(self) -> dict:
        keep = ("expectation", "partition", "column", "why", "observed", "unexpected_count", "sample_rows")
        return {k: getattr(self, k) for k in keep}


def load_suite(name: str) -> dict:
    """The suite file as written (GX ExpectationSuite JSON), checked for severity and reason on every line."""
    path = SUITES_DIR / f"{name}.json"
    suite = json.loads(path.read_text())
    for expectation in suite["expectations"]:
        meta = expectation.get("meta", {})
        if meta.get("severity") not in SEVERITIES or not meta.get("why"):
            raise ValueError(f"{path.name}: {label(expectation)} needs meta.severity (block|warn), meta.why")
        _bound_by_contract(name, expectation)
    return suite


def _bound_by_contract(name: str, expectation: dict) -> None:
    """A range check on a column spark/contracts.py limits takes that limit as its bounds (the ingest
    quarantines per event by the same limit), and may not state bounds of its own."""
    kwargs = expectation["kwargs"]
    allowed = limit(name, kwargs.get("column", ""))
    if expectation["type"] != "expect_column_values_to_be_between" or allowed is None:
        return
    if {"min_value", "max_value", "strict_min", "strict_max"} & set(kwargs):
        raise ValueError(f"{name}.json: {label(expectation)} states bounds; they are in contracts.LIMITS")
    kwargs.update(min_value=allowed.low, strict_min=allowed.above_low)
    if allowed.high is not None:
        kwargs["max_value"] = allowed.high


def run_suite(ctx: JobContext, suite_name: str) -> GateResult:
    """Validate the partitions in ctx.partitions, stacked (expectations.stacked); a verdict per partition,
    blocking failures make the gate fail."""
    suite = load_suite(suite_name)
    config = suite.get("meta", {}).get("shelfwise", {})
    gate = GateContext(ctx.run_id)
    findings: list[Finding] = []
    pages: list[dict] = []
    try:
        with references_read_once():
            partitions = [prepare(ctx, config, key) for key in ctx.partitions]
            for group in stacks(partitions):
                found, page = _validate_stack(ctx, gate, suite, group, stack_frame(ctx, config, group))
                pages += [_index_entry(ctx, p.key, page, [f for f in found if f.partition == p.key])
                          for p in group]  # fmt: skip
                findings += found
        site = gate.publish(ctx.settings, pages)
    finally:
        gate.close()
    write_dq_results(ctx, suite_name, findings)
    return verdict(suite_name, findings, site)


def _validate_stack(ctx: JobContext, gate: GateContext, suite: dict, group: list[Partition],
                    frame: pd.DataFrame) -> tuple[list[Finding], str]:  # fmt: skip
    """One GX validation of `group` (stacked in `frame`): the findings per partition and expectation, and
    the page."""
    planned = checks(suite["expectations"], group)
    config = suite.get("meta", {}).get("shelfwise", {})
    tagged = [{**c.config, "meta": {**c.config.get("meta", {}), CHECK: n}} for n, c in enumerate(planned)]
    first, last = group[0].key, group[-1].key
    span = first if first == last else f"{first}_to_{last}"
    name = f"{suite['name']}.{span}" if span else suite["name"]
    result, page = gate.validate({**suite, "name": name, "expectations": tagged}, frame,
                                 f"{ctx.asset.name}_{span or 'all'}")  # fmt: skip
    report, rows = page_url(ctx.settings, page), {p.key: len(p.frame) for p in group}
    found: list[Finding] = []
    for outcome in result.results:
        check = planned[outcome.expectation_config.meta[CHECK]]
        if check.partition is not None:
            key = check.partition
            found.append(_finding(outcome, check, key, rows[key], frame, config, report))
            continue
        judged = {} if _raised(outcome) else verdicts(check, outcome.result or {}, frame)
        found += [_stack_finding(outcome, check, key, n, judged.get(key, ([], True)), frame, config, report)
                  for key, n in rows.items()]  # fmt: skip
    order = {key: i for i, key in enumerate(rows)}
    return sorted(found, key=lambda f: (order[f.partition], f.number)), page


def verdict(suite_name: str, findings: list[Finding], site: str) -> GateResult:
    """Split failures by severity; the report is the page of the first blocking (else warning) failure."""
    blocking = [f for f in findings if not f.success and f.severity == "block"]
    warnings = [f for f in findings if not f.success and f.severity == "warn"]
    first = (blocking or warnings)[:1]
    return GateResult(
        suite=suite_name, passed=not blocking, blocking=[f.summary() for f in blocking],
        warnings=[f.summary() for f in warnings], report=first[0].report if first else site,
        evaluated=len(findings),
    )


def _index_entry(ctx: JobContext, key: str, page: str, found: list[Finding]) -> dict:
    failed = [f"{f.expectation} [{f.severity}]" for f in found if not f.success]
    return {"page": page, "asset": ctx.asset.name, "partition": key, "run_id": ctx.run_id,
            "success": not any(f.severity == "block" for f in found if not f.success), "failed": failed,
            "validated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")}


def label(expectation: dict) -> str:
    """A readable name: the expectation type and the column(s) it looks at."""
    return f"{expectation['type']}({_columns(expectation.get('kwargs', {}))})".replace("()", "")


def _columns(kwargs: dict) -> str:
    if "column" in kwargs:
        return kwargs["column"]
    if "column_A" in kwargs:
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    return ", ".join(kwargs.get("column_list", []))


def _finding(result: Any, check: Check, key: str, rows: int, frame: pd.DataFrame, config: dict,
             report: str) -> Finding:  # fmt: skip
    """A check GX ran on one partition's rows: its result is that partition's finding."""
    details = result.result or {}
    return Finding(
        **_stated(check, key, report), success=bool(result.success), observed=_observed(result),
        unexpected_count=int(details.get("unexpected_count") or 0),
        element_count=int(details.get("element_count") or rows),
        sample_rows=[] if result.success else _sample_rows(
            frame, details.get("partial_unexpected_index_list") or [], check.stated, config),
    )  # fmt: skip


def _stack_finding(result: Any, check: Check, key: str, rows: int, judged: tuple[list[int], bool],
                   frame: pd.DataFrame, config: dict, report: str) -> Finding:  # fmt: skip
    """A row-wise check GX ran over the stack, judged for partition `key` by its own unexpected rows."""
    if _raised(result):
        return Finding(**_stated(check, key, report), success=False, observed=_observed(result),
                       unexpected_count=0, element_count=rows, sample_rows=[])  # fmt: skip
    unexpected, passed = judged
    seen = f"{len(unexpected)} of {rows} unexpected"
    if unexpected:
        seen += f", e.g. {json.dumps(_values(frame, unexpected[:3], check.stated['kwargs']), default=str)}"
    return Finding(
        **_stated(check, key, report), success=passed, observed=seen, unexpected_count=len(unexpected),
        element_count=rows,
        sample_rows=[] if passed else _sample_rows(frame, unexpected, check.stated, config),
    )  # fmt: skip


def _stated(check: Check, key: str, report: str) -> dict:
    meta = check.stated.get("meta", {})
    return {"partition": key, "number": check.number, "expectation": label(check.stated),
            "column": _columns(check.stated["kwargs"]), "severity": meta["severity"], "why": meta["why"],
            "report": report}  # fmt: skip


def _raised(result: Any) -> bool:
    return bool(result.exception_info and result.exception_info.get("raised_exception"))


def _observed(result: Any) -> str:
    details = result.result or {}
    if _raised(result):
        return f"error: {result.exception_info.get('exception_message')}"
    if "observed_value" in details:
        return json.dumps(details["observed_value"], default=str)
    if "unexpected_count" in details:
        count, examples = details["unexpected_count"], details.get("partial_unexpected_list", [])[:3]
        seen = f"{count} of {details.get('element_count', 0)} unexpected"
        return seen + (f", e.g. {json.dumps(examples, default=str)}" if count else "")
    return ""


def _values(frame: pd.DataFrame, index: list[int], kwargs: dict) -> list:
    """The values a row-wise check found unexpected, as GX lists them: a column's value, a pair, a record."""
    if "column" in kwargs:
        return frame.loc[index, kwargs["column"]].tolist()
    if "column_A" in kwargs:
        return frame.loc[index, [kwargs["column_A"], kwargs["column_B"]]].to_numpy().tolist()
    return json.loads(frame.loc[index, kwargs["column_list"]].to_json(orient="records", date_format="iso"))


def _sample_rows(frame: pd.DataFrame, index: list[int], expectation: dict, config: dict) -> list[dict]:
    """A few failing rows (the suite's row keys plus the columns the expectation reads)."""
    index = index[:SAMPLE_ROWS]
    wanted = [*config.get("row_keys", []), *_columns(expectation["kwargs"]).split(", ")]
    columns = [c for c in dict.fromkeys(wanted) if c in frame.columns]
    if not index or not columns:
        return []
    rows = frame.loc[[i for i in index if i in frame.index], columns]
    return json.loads(rows.to_json(orient="records", date_format="iso"))


def write_dq_results(ctx: JobContext, suite_name: str, findings: list[Finding]) -> None:
    """One `dq_results` row per expectation and partition, for analysts (Power BI) next to the figures."""
    validated_at = datetime.now(UTC)
    rows = pd.DataFrame([{
        "asset": ctx.asset.name, "partition": f.partition, "suite": suite_name, "expectation": f.expectation,
        "column_name": f.column, "severity": f.severity, "success": f.success, "observed_value": f.observed,
        "unexpected_count": f.unexpected_count, "element_count": f.element_count, "why": f.why,
        "report": f.report, "run_id": ctx.run_id, "validated_at": validated_at,
    } for f in findings])
    if not rows.empty:
        rows["validated_at"] = pd.to_datetime(rows["validated_at"], utc=True)
        Warehouse(ctx.settings).insert_df("dq_results", rows)
