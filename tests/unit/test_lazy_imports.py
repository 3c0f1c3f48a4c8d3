"""An import inside a function says why it waits (`# lazy: <reason>` on its line); else it goes on top.

Deferring an import is for a heavy dependency a module's other callers do not need (pyspark, pandas, kafka,
great_expectations, airflow...), for `shelfwise` CLI start-up and DAG-file parse cost, for code Spark
executors import, or to break a cycle. A stdlib or light project import has no such reason (issue #19).
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("assets", "spark", "infra", "expectations", "dags")
MARK = "# lazy:"

def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports_in_functions(node: ast.AST, in_function: bool = False) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements under a def (nested ones too), skipping `if TYPE_CHECKING:` bodies."""
    for child in ast.iter_child_nodes(node):
        # an `if TYPE_CHECKING:` body never runs; its else branch does
        typing_only = isinstance(child, ast.If) and _is_type_checking(child)
        for item in child.orelse if typing_only else [child]:
            if in_function and isinstance(item, ast.Import | ast.ImportFrom):
                yield item
            yield from _imports_in_functions(
                item, in_function or isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )


def _comments(source: str) -> dict[int, str]:
    """Line number -> the comment on it."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {tok.start[0]: tok.string for tok in tokens if tok.type == tokenize.COMMENT}


def unmarked_imports(path: Path) -> list[int]:
    """Lines of the function-level imports in `path` with no `# lazy: <reason>` on any of their lines."""
    source = path.read_text(encoding="utf-8")
    comments = _comments(source)

    def marked(node: ast.stmt) -> bool:
        lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
        found = [comments[n] for n in lines if n in comments]
        return any(c.startswith(MARK) and c.removeprefix(MARK).strip() for c in found)

    return sorted(n.lineno for n in _imports_in_functions(ast.parse(source)) if not marked(n))


def offenders() -> dict[str, list[int]]:
    """Relative path -> lines of unmarked function-level imports, over every module of PACKAGES."""
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            lines = unmarked_imports(path)
            if lines:
                found[path.relative_to(REPO).as_posix()] = lines
    return found


def test_every_function_level_import_says_why_it_is_lazy():
    unexplained = [f"{path}:{line}" for path, lines in offenders().items() for line in lines]
    assert not unexplained, (
        "imports inside functions without a `# lazy: <why>` comment (move them to the module top, or say "
        "why they must wait):\n  " + "\n  ".join(unexplained)
    )


def test_the_check_finds_unmarked_imports_and_ignores_marked_and_type_checking_ones(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "import json\n"
        "from typing import TYPE_CHECKING\n"
        "\n"
        "def f():\n"
        "    import uuid\n"
        "    import pyspark  # lazy: heavy\n"
        "    from pandas import (  # lazy: heavy\n"
        "        DataFrame,\n"
        "    )\n"
        "    import time  # lazy:\n"
        "    if TYPE_CHECKING:\n"
        "        from collections.abc import Iterator\n"
        "\n"
        "class C:\n"
        "    def m(self):\n"
        "        def inner():\n"
        "            from os import path\n"
    )
    assert unmarked_imports(module) == [5, 10, 17]
