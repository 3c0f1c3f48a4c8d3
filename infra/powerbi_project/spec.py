"""The shapes the Power BI project is described in: plain frozen dataclasses, no Power BI file format here.

`tables.py`, `measures.py` and `pages.py` fill them in; `tmdl.py` and `pbir.py` render them. A column carries
its ClickHouse type exactly as `DESCRIBE TABLE` prints it, so a test can hold the model against the DDL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# ClickHouse type (wrappers stripped) -> TMDL dataType. UInt64 is absent on purpose: the connector does not
# load it, so a UInt64 column fails here rather than in Power BI Desktop.
_TMDL_TYPES = {
    "Int32": "int64",
    "Int64": "int64",
    "Float64": "double",
    "Bool": "boolean",
    "Date": "dateTime",
    "DateTime64": "dateTime",
    "String": "string",
}
_WRAPPER = re.compile(r"^(?:Nullable|LowCardinality)\((.*)\)$")
NUMERIC_TYPES = {"int64", "double", "decimal"}


def base_type(clickhouse_type: str) -> str:
    """`LowCardinality(String)` -> `String`, `DateTime64(3, 'UTC')` -> `DateTime64`."""
    while match := _WRAPPER.match(clickhouse_type):
        clickhouse_type = match.group(1)
    return clickhouse_type.split("(")[0]


@dataclass(frozen=True)
class Column:
    """A warehouse column as the model shows it. `additive` columns may be summed by a measure's author;
    every other column (keys, ratios, per-row figures) is `summarizeBy: none`."""

    name: str
    clickhouse_type: str
    additive: bool = False
    money: bool = False

    @property
    def data_type(self) -> str:
        """The TMDL dataType (money becomes fixed decimal on imported tables: Table.tmdl_type)."""
        try:
            return _TMDL_TYPES[base_type(self.clickhouse_type)]
        except KeyError:
            raise ValueError(f"column {self.name}: no Power BI type for {self.clickhouse_type}") from None

    @property
    def format_string(self) -> str | None:
        if self.data_type == "dateTime":
            return "yyyy-mm-dd" if base_type(self.clickhouse_type) == "Date" else "General Date"
        return "#,0.00" if self.money else None


@dataclass(frozen=True)
class Measure:
    """An explicit DAX measure. `twin` is the KPI key of its SQL twin (sql/queries/select_kpi_<twin>.sql);
    measures without one are working measures behind a chart or a list, and say so in `description`."""

    name: str
    dax: str
    format_string: str
    description: str
    twin: str | None = None

    @property
    def twin_path(self) -> str | None:
        return f"sql/queries/select_kpi_{self.twin}.sql" if self.twin else None


@dataclass(frozen=True)
class Table:
    """A model table read from the ClickHouse table (or view) of the same name.

    `omitted` names the warehouse columns the model leaves out, with the reason: the DDL test requires every
    warehouse column to be either modelled or listed here, so a new column is a decision, not drift.
    """

    name: str
    mode: str  # import | directQuery | dual
    description: str
    columns: tuple[Column, ...]
    omitted: dict[str, str] = field(default_factory=dict)
    measures: tuple[Measure, ...] = ()
    hidden: bool = False
    is_date_table: bool = False

    @property
    def money_as_decimal(self) -> bool:
        """Fixed decimal only on Import: in DirectQuery/Dual the type change would fold into every SQL query
        as a CAST to ClickHouse DECIMAL, whose default scale is 0 (cents lost)."""
        return self.mode == "import"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def tmdl_type(self, column: Column) -> str:
        return "decimal" if column.money and self.money_as_decimal else column.data_type


@dataclass(frozen=True)
class Relationship:
    """Many-to-one from a fact column to a dimension key."""

    from_table: str
    from_column: str
    to_table: str
    to_column: str


@dataclass(frozen=True)
class Role:
    """A row-level security role: DAX filters per table, evaluated for the viewer."""

    name: str
    description: str
    filters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Field:
    """One field a visual binds: a measure or a column of a model table."""

    table: str
    name: str
    is_measure: bool


def measure(table: str, name: str) -> Field:
    return Field(table, name, True)


def column(table: str, name: str) -> Field:
    return Field(table, name, False)


@dataclass(frozen=True)
class Visual:
    """A visual on a page: its Power BI type, its data roles bound to fields, and its grid cell
    (x, y, width, height in pixels of a 1280 x 720 page)."""

    name: str
    visual_type: str
    title: str
    roles: dict[str, tuple[Field, ...]]
    box: tuple[int, int, int, int]
    sort: Field | None = None
    single_select: bool = False


@dataclass(frozen=True)
class Page:
    name: str
    display_name: str
    visuals: tuple[Visual, ...]


@dataclass(frozen=True)
class Project:
    """The whole description: what `build` renders into shelfwise.SemanticModel and shelfwise.Report."""

    tables: tuple[Table, ...]
    relationships: tuple[Relationship, ...]
    roles: tuple[Role, ...]
    pages: tuple[Page, ...]

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)
