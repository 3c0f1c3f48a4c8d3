"""The committed semantic model and report, read from the files Power BI Desktop opens."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from .pbip_schemas import REPO
from .tmdl_reader import Node, read_model

POWERBI = REPO / "powerbi"
DEFINITION = POWERBI / "shelfwise.SemanticModel" / "definition"
PAGES = POWERBI / "shelfwise.Report" / "definition" / "pages"
NUMERIC = {"int64", "double", "decimal"}
COLUMN_REF = re.compile(r"\b(\w+)\[([^\]]+)\]")
MEASURE_REF = re.compile(r"(?<![\w\]])\[([^\]]+)\]")


@cache
def model() -> dict[str, list[Node]]:
    return read_model(DEFINITION)


def tables() -> dict[str, Node]:
    return {t.name: t for t in model()["table"]}


def columns(table: str) -> dict[str, Node]:
    return {c.name: c for c in tables()[table].all("column")}


def measures() -> dict[str, tuple[str, Node]]:
    """Measure name -> (home table, node)."""
    return {m.name: (t.name, m) for t in model()["table"] for m in t.all("measure")}


def visuals() -> list[tuple[Path, dict]]:
    return [(p, json.loads(p.read_text())) for p in sorted(PAGES.glob("*/visuals/*/visual.json"))]
