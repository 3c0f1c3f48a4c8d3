"""Render the semantic model as TMDL files (tab-indented, as Power BI Desktop writes them).

Partitions read through the ClickHouse Power BI connector's `ClickHouse.Database(server, port, optional
database, optional options)`, which returns a navigation table of databases (its ODBC source uses
HierarchicalNavigation and keeps only the named database); a table is then two lookups down.
"""

from __future__ import annotations

import re
import uuid

from infra.powerbi_project.spec import Measure, Project, Relationship, Role, Table

_LINEAGE = uuid.UUID("0f3b1c2e-5a51-4b1e-9d7e-5e1f5a7c0b11")
PARAMETERS = (
    (
        "ClickHouseHost",
        '"127.0.0.1"',
        "Text",
        "Host name of the ClickHouse server (no scheme), as the connector's server.",
    ),
    (
        "ClickHousePort",
        "8123",
        "Number",
        "Its HTTP port: the connector drives the ClickHouse ODBC driver, which speaks HTTP.",
    ),
    ("ClickHouseDatabase", '"shelfwise"', "Text", "The warehouse database (SHELFWISE_WAREHOUSE_DATABASE)."),
)


def tag(*path: str) -> str:
    """A stable lineageTag: the same object keeps its tag across regenerations."""
    return str(uuid.uuid5(_LINEAGE, "/".join(path)))


def name(text: str) -> str:
    """A TMDL object name, quoted when it is not a plain identifier."""
    return text if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) else "'" + text.replace("'", "''") + "'"


def _doc(text: str, indent: str) -> list[str]:
    return [f"{indent}/// {line}" for line in text.splitlines()]


def _expression(head: str, body: str, indent: str) -> list[str]:
    """`head = body`, on one line when the body is, else the body on lines two levels deeper."""
    lines = body.splitlines()
    if len(lines) == 1:
        return [f"{indent}{head} = {body}"]
    return [f"{indent}{head} =", *(f"{indent}\t\t{line}" for line in lines)]


def measure_lines(table: str, measure: Measure) -> list[str]:
    doc = measure.description + (f"\ntwin: {measure.twin_path}" if measure.twin else "")
    lines = [*_doc(doc, "\t"), *_expression(f"measure {name(measure.name)}", measure.dax, "\t")]
    if measure.format_string:
        lines.append(f"\t\tformatString: {measure.format_string}")
    return [*lines, f"\t\tlineageTag: {tag(table, 'measure', measure.name)}", ""]


def partition_source(table: Table) -> str:
    modelled = ", ".join(f'"{c.name}"' for c in table.columns)
    steps = [
        "Source = ClickHouse.Database(ClickHouseHost, ClickHousePort, ClickHouseDatabase)",
        "Database = Source{[Name = ClickHouseDatabase]}[Data]",
        f'Rows = Database{{[Name = "{table.name}"]}}[Data]',
        f"Modelled = Table.SelectColumns(Rows, {{{modelled}}})",
    ]
    money = [c.name for c in table.columns if table.tmdl_type(c) == "decimal"]
    if money:
        pairs = ", ".join(f'{{"{c}", Currency.Type}}' for c in money)
        steps.append(f"Money = Table.TransformColumnTypes(Modelled, {{{pairs}}})")
    result = steps[-1].split(" = ")[0]
    return "\n".join(["let", *(f"\t{s}," for s in steps[:-1]), f"\t{steps[-1]}", "in", f"\t{result}"])


def table_file(table: Table) -> str:
    lines = [*_doc(table.description, ""), f"table {name(table.name)}"]
    if table.hidden:
        lines.append("\tisHidden")
    lines.append(f"\tlineageTag: {tag(table.name)}")
    if table.is_date_table:
        lines.append("\tdataCategory: Time")
    lines.append("")
    for measure in table.measures:
        lines += measure_lines(table.name, measure)
    for column in table.columns:
        lines += [f"\tcolumn {name(column.name)}", f"\t\tdataType: {table.tmdl_type(column)}"]
        if table.is_date_table and column.name == "date":
            lines.append("\t\tisKey")
        if column.format_string:
            lines.append(f"\t\tformatString: {column.format_string}")
        lines += [
            f"\t\tlineageTag: {tag(table.name, column.name)}",
            f"\t\tsummarizeBy: {'sum' if column.additive else 'none'}",
            f"\t\tsourceColumn: {column.name}",
            "",
        ]
    lines += [f"\tpartition {name(table.name)} = m", f"\t\tmode: {table.mode}", "\t\tsource ="]
    lines += [f"\t\t\t\t{line}" for line in partition_source(table).splitlines()]
    return "\n".join(lines) + "\n"


def relationships_file(relationships: tuple[Relationship, ...]) -> str:
    blocks = [
        f"relationship {tag('relationship', r.from_table, r.from_column)}\n"
        f"\tfromColumn: {name(r.from_table)}.{name(r.from_column)}\n"
        f"\ttoColumn: {name(r.to_table)}.{name(r.to_column)}\n"
        for r in relationships
    ]
    return "\n".join(blocks)


def role_file(role: Role) -> str:
    lines = [*_doc(role.description, ""), f"role {name(role.name)}", "\tmodelPermission: read"]
    for table, dax in role.filters.items():
        lines += ["", f"\ttablePermission {name(table)} = {dax}"]
    return "\n".join(lines) + "\n"


def expressions_file() -> str:
    blocks = []
    for parameter, value, kind, doc in PARAMETERS:
        meta = f'meta [IsParameterQuery = true, Type = "{kind}", IsParameterQueryRequired = true]'
        blocks.append(
            f"/// {doc}\nexpression {parameter} = {value} {meta}\n"
            f"\tlineageTag: {tag('expression', parameter)}\n"
        )
    return "\n".join(blocks)


def model_file(project: Project) -> str:
    lines = [
        "model Model",
        "\tculture: en-US",
        "\tdefaultPowerBIDataSourceVersion: powerBI_V3",
        "\tdiscourageImplicitMeasures",
        "\tsourceQueryCulture: en-US",
        "",
        *(f"ref table {name(t.name)}" for t in project.tables),
        "",
        *(f"ref role {name(r.name)}" for r in project.roles),
    ]
    return "\n".join(lines) + "\n"


def semantic_model_files(project: Project) -> dict[str, str]:
    """Path (relative to shelfwise.SemanticModel/definition) -> TMDL text."""
    files = {
        "database.tmdl": "database\n\tcompatibilityLevel: 1567\n",
        "model.tmdl": model_file(project),
        "expressions.tmdl": expressions_file(),
        "relationships.tmdl": relationships_file(project.relationships),
    }
    files |= {f"tables/{t.name}.tmdl": table_file(t) for t in project.tables}
    files |= {f"roles/{r.name.lower().replace(' ', '_')}.tmdl": role_file(r) for r in project.roles}
    return files
