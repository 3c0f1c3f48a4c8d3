"""A small strict reader of the TMDL subset shelfwise writes, independent of the generator that writes it.

No maintained TMDL parser is on PyPI (the candidates, tmdl-parser 0.2.0 and powerbi-tmdl-tools 1.0.5, read
tables only, drop roles and expressions, and strip description characters), so the tests read the files
Power BI Desktop will read with this one. It follows Microsoft's TMDL overview: objects, `key: value`
properties, flags, `///` descriptions and multi-line expressions (lines indented deeper than the object's
properties), all by tab indentation. Anything else is an error naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

OBJECT = re.compile(
    r"^(table|column|measure|partition|relationship|role|tablePermission|expression|model|database)"
    r"(?:\s+(?P<name>'(?:[^']|'')+'|[^\s=]+))?(?:\s*=\s*(?P<value>.*))?$"
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
    value: str = ""  # the expression after `=`, multi-line ones joined by newlines
    description: str = ""
    source: str = ""  # a partition's M expression
    properties: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    children: list[Node] = field(default_factory=list)

    def all(self, kind: str) -> list[Node]:
        return [c for c in self.children if c.kind == kind]


def unquote(name: str) -> str:
    return name[1:-1].replace("''", "'") if name.startswith("'") else name


def read(path: Path) -> list[Node]:
    """The top-level objects of one .tmdl file."""
    roots: list[Node] = []
    stack: list[tuple[int, Node]] = []
    expression: tuple[int, Node, str] | None = None  # (depth of the line ending in `=`, object, attribute)
    description: list[str] = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        where = f"{path.name}:{number}"
        if not raw.strip():
            continue
        depth = len(raw) - len(raw.lstrip("\t"))
        if raw[depth : depth + 1] == " " and not expression:
            raise TmdlError(f"{where}: indent with tabs, not spaces")
        text = raw.strip()
        if expression and depth >= expression[0] + 2:
            node, attribute = expression[1], expression[2]
            setattr(
                node, attribute, (getattr(node, attribute) + "\n" + raw[expression[0] + 2 :]).lstrip("\n")
            )
            continue
        expression = None
        if text.startswith("///"):
            description.append(text[3:].strip())
            continue
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
            value = found.group("value")
            node = Node(found.group(1), unquote(found.group("name") or ""), (value or "").strip())
            node.description, description = "\n".join(description), []
            (parent.children if parent else roots).append(node)
            stack.append((depth, node))
            if value is not None and not value.strip():
                expression = (depth, node, "value")
            continue
        if description:
            raise TmdlError(f"{where}: a /// description must precede an object")
        if parent is None:
            raise TmdlError(f"{where}: expected an object, got {text!r}")
        if text == "source =" and parent.kind == "partition":
            expression = (depth, parent, "source")
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
