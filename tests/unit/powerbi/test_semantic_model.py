"""The semantic model against the warehouse it reads and the connector it reads through.

Outside references: the ClickHouse DDL in sql/ddl, created in the real engine (chdb) and read back with
DESCRIBE TABLE; the ClickHouse Power BI connector's exported function and navigation
(ClickHouse/power-bi-clickhouse, ClickHouseConnector.pq: `shared ClickHouse.Database(server, port,
optional database, optional options)` over Odbc.DataSource with HierarchicalNavigation, filtered to the
named database); the SQL twins in sql/queries.
"""

from __future__ import annotations

import re

import pytest

from infra.powerbi_project import PROJECT
from infra.settings import Settings
from infra.warehouse import SQL_DIR, Warehouse, migrate

from .model_files import COLUMN_REF, MEASURE_REF, NUMERIC, POWERBI, columns, measures, model, tables

# An independent map of what each ClickHouse type may load as; UInt64 is absent: the connector cannot load it.
LOADS_AS = {
    "Int32": {"int64"},
    "Int64": {"int64"},
    "Float64": {"double", "decimal"},
    "Bool": {"boolean"},
    "Date": {"dateTime"},
    "DateTime64": {"dateTime"},
    "String": {"string"},
}
WRAPPERS = re.compile(r"^(?:Nullable|LowCardinality)\((.*)\)$")
PARTITION = re.compile(
    r"^let\n\tSource = ClickHouse\.Database\(ClickHouseHost, ClickHousePort, ClickHouseDatabase\),\n"
    r"\tDatabase = Source\{\[Name = ClickHouseDatabase\]\}\[Data\],\n"
    r'\tRows = Database\{\[Name = "(?P<table>\w+)"\]\}\[Data\],\n'
    r"\tModelled = Table\.SelectColumns\(Rows, \{(?P<columns>[^}]*)\}\)(?P<rest>[\s\S]*)$"
)


def base_type(clickhouse_type: str) -> str:
    while match := WRAPPERS.match(clickhouse_type):
        clickhouse_type = match.group(1)
    return clickhouse_type.split("(")[0]


@pytest.fixture(scope="module")
def warehouse_columns(tmp_path_factory) -> dict[str, dict[str, tuple[str, str]]]:
    """table -> column -> (type, default kind), from DESCRIBE TABLE on the DDL applied to chdb."""
    settings = Settings(home=tmp_path_factory.mktemp("pbi"), lake_url="", clickhouse_url="")
    warehouse = Warehouse(settings)
    migrate(warehouse)
    described = {}
    with warehouse.session() as session:
        for table in tables():
            frame = session.query_df(f"DESCRIBE TABLE {table}")
            described[table] = {r.name: (r.type, r.default_type) for r in frame.itertuples()}
    return described


def test_every_model_column_is_a_warehouse_column_of_a_type_it_loads_as(warehouse_columns):
    for table in tables():
        for column, node in columns(table).items():
            source = node.properties["sourceColumn"]
            assert source in warehouse_columns[table], f"{table}.{column}: the warehouse has no {source}"
            clickhouse_type, default = warehouse_columns[table][source]
            assert default != "ALIAS", f"{table}.{source} is an ALIAS: SELECT * over ODBC does not return it"
            allowed = LOADS_AS.get(base_type(clickhouse_type), set())
            assert node.properties["dataType"] in allowed, f"{table}.{column}: {clickhouse_type} as {allowed}"


def test_every_warehouse_column_is_modelled_or_left_out_with_a_reason(warehouse_columns):
    """So the DDL and the model cannot drift: a new column must be modelled or named in `omitted`."""
    for table in tables():
        modelled = {c.properties["sourceColumn"] for c in columns(table).values()}
        left_out = set(PROJECT.table(table).omitted)
        assert set(warehouse_columns[table]) - modelled == left_out, table
        assert all(PROJECT.table(table).omitted.values()), f"{table}: say why a column is left out"


def test_no_partition_uses_the_nonexistent_clickhouse_contents():
    for path in (POWERBI / "shelfwise.SemanticModel").rglob("*"):
        if path.is_file():
            assert "ClickHouse.Contents" not in path.read_text(encoding="utf-8"), path


def test_partitions_navigate_database_then_table_through_the_parameters():
    parameters = {e.name: e.value for e in model()["expression"]}
    assert (
        'Type = "Text"' in parameters["ClickHouseHost"]
        and 'Type = "Text"' in parameters["ClickHouseDatabase"]
    )
    assert (
        parameters["ClickHousePort"].startswith("8123 ") and 'Type = "Number"' in parameters["ClickHousePort"]
    )
    for name, table in tables().items():
        (partition,) = table.all("partition")
        found = PARTITION.match(partition.source)
        assert found, (
            f"{name}: partition does not read ClickHouse.Database -> database -> table:\n{partition.source}"
        )
        assert found["table"] == name
        selected = re.findall(r'"(\w+)"', found["columns"])
        assert selected == [c.properties["sourceColumn"] for c in columns(name).values()]
        money = {c for c, n in columns(name).items() if n.properties["dataType"] == "decimal"}
        assert set(re.findall(r'\{"(\w+)", Currency\.Type\}', found["rest"])) == money, name
        assert not money or partition.properties["mode"] == "import", f"{name}: decimal must not fold as CAST"


def test_money_loads_as_fixed_decimal_where_the_table_is_imported():
    assert {c for c, n in columns("fact_sales").items() if n.properties["dataType"] == "decimal"} == {
        "revenue",
        "cost",
        "profit",
    }


def test_only_additive_numeric_columns_summarize():
    per_row = {
        "fact_inventory": {"days_of_cover", "date_key"},
        "fact_ml_predictions": {
            "stock_out_risk_score",
            "service_level",
            "reorder_point",
            "safety_stock",
            "daily_mean",
            "confidence_low",
            "confidence_high",
            "lead_time_days",
        },
        "fact_slow_movers": {"at_risk_probability", "days_since_last_sale", "model_precision"},
        "fact_cross_sell": {"affinity", "rank", "recall_at_10_als"},
        "dim_product": {"unit_cost", "list_price", "shelf_life_days"},
        "dim_store": {"square_footage"},
    }
    for table in tables():
        for name, column in columns(table).items():
            summarize = column.properties["summarizeBy"]
            assert summarize in {"none", "sum"}
            if summarize == "sum":
                assert column.properties["dataType"] in NUMERIC, f"{table}.{name}"
                assert name not in per_row.get(table, set()), f"{table}.{name} is a ratio or per-row figure"


def test_the_model_discourages_implicit_measures_and_hides_store_access():
    (root,) = model()["model"]
    assert "discourageImplicitMeasures" in root.flags
    assert "isHidden" in tables()["store_access"].flags
    assert {r.name for r in model()["ref"] if r.value == "table"} == set(tables())


def test_measures_reference_existing_columns_and_measures():
    known = measures()
    assert len(known) == sum(len(t.all("measure")) for t in model()["table"]), "measure names must be unique"
    for name, (_, node) in known.items():
        for table, column in COLUMN_REF.findall(node.value):
            assert column in columns(table), f"measure {name!r} reads unknown {table}[{column}]"
        for reference in MEASURE_REF.findall(node.value):
            assert reference in known, f"measure {name!r} reads unknown measure [{reference}]"


def test_measure_names_collide_with_no_column():
    """Tabular names are case-insensitive: a measure named like a column of its table will not load."""
    for name, (table, _) in measures().items():
        assert name.lower() not in {c.lower() for c in columns(table)}, f"measure {name!r} in {table}"


def test_no_measure_anchors_on_the_calendar():
    """dim_date runs to 2035-12-31: LASTDATE/MAX over it makes every snapshot blank."""
    for name, (_, node) in measures().items():
        assert not re.search(r"(LASTDATE|ENDOFMONTH|MAX)\(\s*dim_date", node.value), name


def test_every_kpi_measure_names_an_existing_sql_twin_and_every_twin_has_its_measure():
    twins = {}
    for name, (_, node) in measures().items():
        for path in re.findall(r"^twin: (\S+)$", node.description, flags=re.MULTILINE):
            assert (SQL_DIR.parent / path).is_file(), (
                f"measure {name!r} names a twin that does not exist: {path}"
            )
            twins[path] = name
    committed = {f"sql/queries/{p.name}" for p in SQL_DIR.glob("queries/select_kpi_*.sql")}
    assert committed <= set(twins), f"twins without a DAX measure: {sorted(committed - set(twins))}"
    assert len(twins) == 15, "the KPI contract has 15 KPIs"


def test_relationships_join_fact_keys_to_dimension_keys_of_the_same_type():
    seen = set()
    for relationship in model()["relationship"]:
        (from_table, from_column), (to_table, to_column) = (
            relationship.properties[side].split(".") for side in ("fromColumn", "toColumn")
        )
        source, target = columns(from_table)[from_column], columns(to_table)[to_column]
        assert source.properties["dataType"] == target.properties["dataType"], relationship.name
        assert to_table.startswith("dim_") and not from_table.startswith("dim_"), (
            "one-to-many from dimensions"
        )
        seen.add((from_table, to_table))
    assert ("forecast_vs_actual", "dim_store") in seen, "forecasts follow the viewer's stores"
    assert ("fact_cross_sell", "dim_store") not in seen, "ALL matches no store: a role would hide those lists"


def test_every_table_holding_store_rows_is_filtered_by_each_restricted_role():
    """Through a relationship to dim_store (which the role filters by the viewer), or by its own store_key
    (fact_cross_sell, where the chain-wide lists stay visible to every role)."""
    to_store = {
        r.properties["fromColumn"].split(".")[0]
        for r in model()["relationship"]
        if r.properties["toColumn"] == "dim_store.store_key"
    }
    store_rows = {t for t in tables() if "store_key" in columns(t) and t not in {"dim_store", "store_access"}}
    for role in model()["role"]:
        permissions = {p.name: p.value for p in role.all("tablePermission")}
        if role.name == "Executive":
            assert permissions == {}
            continue
        assert "USERPRINCIPALNAME()" in permissions["dim_store"] and "store_access" in permissions
        for table in store_rows:
            assert table in to_store or table in permissions, f"{role.name} does not filter {table}"
        assert permissions["fact_cross_sell"].startswith('[store_key] = "ALL" || [store_key] IN ')
        for table, column in COLUMN_REF.findall(" ".join(permissions.values())):
            assert column in columns(table), (role.name, table, column)


def test_the_refresh_credential_may_read_every_table_the_model_reads():
    """The model refreshes (and runs DirectQuery) as bi_refresh (sql/security/create_bi_readers.sql): a
    table it reads but that credential is not granted fails the refresh in the service."""
    grants = (SQL_DIR / "security" / "create_bi_readers.sql").read_text()
    granted = {
        grantee: set(re.findall(rf"GRANT SELECT ON \{{database\}}\.(\w+) TO {grantee};", grants))
        for grantee in ("bi_reader", "bi_refresh")
    }
    readable = granted["bi_refresh"] | (
        granted["bi_reader"] if "GRANT bi_reader TO bi_refresh;" in grants else set()
    )
    assert set(tables()) - readable == set()
