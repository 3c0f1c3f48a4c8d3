"""A small strict reader of the TMDL subset shelfwise writes (no maintained TMDL parser is on PyPI).

It knows objects (`table`, `column`, `measure`, `partition`, `relationship`, `role`, `tablePermission`,
`expression`, `model`, `database`, top-level `ref`), `key: value` properties, flag properties and `///`
descriptions, all by tab indentation. Anything else is an error naming the file and line, so a typo in a
hand edit fails a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

OBJECT = re.compile(
    r"^(table|column|measure|partition|relationship|role|tablePermission|expression|model|database)"
    r"(?:\s+(?P<name>'[^']+'|[^\s=]+))?(?:\s*=\s*(?P<value>.*))?$"
)
PROPERTY = re.compile(r"^(?P<key>[A-Za-z]+):\s*(?P<value>.+)$")
FLAGS = {"isKey", "isHidden", "discourageImplicitMeasures"}
PROPERTIES = {
    "table": {"lineageTag", "dataCategory"},
    "column": {"dataType", "formatString", "lineageTag", "summarizeBy", "sourceColumn"},
    "measure": {"formatString", "lineageTag"},
    "partition": {"mode"},
    "relationship": {"fromColumn", "toColumn"},
    "role": {"modelPermission"},
    "expression": {"lineageTag"},
    "model": {"culture", "defaultPowerBIDataSourceVersion", "sourceQueryCulture"},
    "database": {"compatibilityLevel"},
}


class TmdlError(ValueError):
    pass


@dataclass
class Node:
    kind: str
    name: str
    value: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    children: list[Node] = field(default_factory=list)
    source: list[str] = field(default_factory=list)  # a partition's M expression lines

    def all(self, kind: str) -> list[Node]:
        return [c for c in self.children if c.kind == kind]


def unquote(name: str) -> str:
    return name[1:-1] if name.startswith("'") else name


def read(path: Path) -> list[Node]:
    """The top-level objects of one .tmdl file."""
    roots: list[Node] = []
    stack: list[tuple[int, Node]] = []
    lines = path.read_text().splitlines()
    in_source: tuple[int, Node] | None = None
    for number, raw in enumerate(lines, 1):
        where = f"{path.name}:{number}"
        if not raw.strip() or raw.lstrip().startswith("///"):
            continue
        depth = len(raw) - len(raw.lstrip("\t"))
        if raw[depth : depth + 1] == " ":
            raise TmdlError(f"{where}: indent with tabs, not spaces")
        text = raw.strip()
        if in_source and depth > in_source[0]:
            in_source[1].source.append(text)
            continue
        in_source = None
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack else None
        if parent is None and depth:
            raise TmdlError(f"{where}: indented line outside any object")
        if text.startswith("ref ") and parent is None:
            kind, name = text.split(None, 2)[1:]
            roots.append(Node("ref", unquote(name), kind))
            continue
        found = OBJECT.match(text)
        if found and not (parent and text.split(":")[0] in PROPERTIES.get(parent.kind, ())):
            kind = found.group(1)
            node = Node(kind, unquote(found.group("name") or ""), (found.group("value") or "").strip())
            (parent.children if parent else roots).append(node)
            stack.append((depth, node))
            continue
        if parent is None:
            raise TmdlError(f"{where}: expected an object, got {text!r}")
        if text == "source =" and parent.kind == "partition":
            in_source = (depth, parent)
            continue
        prop = PROPERTY.match(text)
        if prop and prop.group("key") in PROPERTIES.get(parent.kind, ()):
            parent.properties[prop.group("key")] = prop.group("value").strip()
        elif text in FLAGS:
            parent.flags.add(text)
        else:
            raise TmdlError(f"{where}: unknown property {text!r} in {parent.kind} {parent.name!r}")
    return roots


def read_model(definition: Path) -> dict[str, list[Node]]:
    """Every object of a semantic model's definition/ folder, grouped by kind."""
    grouped: dict[str, list[Node]] = {}
    for path in sorted(definition.rglob("*.tmdl")):
        for node in read(path):
            grouped.setdefault(node.kind, []).append(node)
    return grouped
