"""Does every part an asset declares exist? Its job, suite, contract, warehouse table and loader.

Checked when the catalog loads (assets/definitions.py), so a typo fails the DAG import and the CLI naming
the asset and the part, instead of a gate that checks nothing or a job that fails at 3 a.m. Functions are
found by reading their module's source, not by importing it: the catalog is loaded on every DAG parse and
the Spark and warehouse modules are slow to import.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from functools import cache
from pathlib import Path

from assets.graph import AssetGraph, GraphError
from assets.model import AssetSpec
from expectations.result import SUITES_DIR
from spark.contracts import CONTRACTS

DDL_DIR = Path(__file__).resolve().parents[1] / "sql" / "ddl"


def check_parts(graph: AssetGraph) -> AssetGraph:
    """The graph itself when every declared part exists, else a GraphError listing each missing one."""
    missing = [problem for name in graph.order for problem in missing_parts(graph[name])]
    if missing:
        raise GraphError("declared parts that do not exist:\n  " + "\n  ".join(missing))
    return graph


def missing_parts(spec: AssetSpec) -> list[str]:
    """One line per declared part of `spec` that cannot be found, naming where it was looked for."""
    problems = []
    if isinstance(spec.job, str) and (why := missing_function(spec.job)):
        problems.append(f"{spec.name}: job {why}")
    if spec.gate is not None and not (SUITES_DIR / f"{spec.gate.suite}.json").exists():
        problems.append(f"{spec.name}: suite file {SUITES_DIR / spec.gate.suite}.json is missing")
    if spec.contract is not None and spec.contract not in CONTRACTS:
        problems.append(f"{spec.name}: contract {spec.contract!r} is not in spark/contracts.py CONTRACTS")
    target = spec.warehouse
    if target is not None and target.table not in ddl_tables():
        problems.append(f"{spec.name}: warehouse table {target.table} has no CREATE TABLE in sql/ddl")
    if target is not None and (why := missing_function(target.rows)):
        problems.append(f"{spec.name}: warehouse rows {why}")
    return problems


def missing_function(path: str) -> str | None:
    """Why "module:function" does not name a top-level function, or None when it does."""
    module, _, name = path.partition(":")
    source = _module_file(module)
    if source is None:
        return f"{path}: no module {module}"
    if name not in _top_level_functions(source):
        return f"{path}: {source.name} defines no function {name}"
    return None


@cache
def ddl_tables() -> frozenset[str]:
    text = "\n".join(p.read_text() for p in sorted(DDL_DIR.glob("*.sql")))
    return frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", text, flags=re.IGNORECASE))


def _module_file(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return None
    return Path(spec.origin) if spec is not None and spec.origin else None


@cache
def _top_level_functions(source: Path) -> frozenset[str]:
    tree = ast.parse(source.read_text(), filename=str(source))
    return frozenset(n.name for n in tree.body if isinstance(n, ast.FunctionDef))
