"""The Power BI project stays true to the warehouse: every table and column it names exists in the schema
that sql/ creates (on chdb), measures and roles reference what exists, and the PBIP files have the
documented shape. Power BI itself does not run on these machines; these are the checks we can run here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra.settings import Settings
from infra.warehouse import Warehouse, migrate

from .tmdl_reader import TmdlError, read, read_model

POWERBI = Path(__file__).resolve().parents[3] / "powerbi"
MODEL_DIR = POWERBI / "shelfwise.SemanticModel"
MODEL = read_model(MODEL_DIR / "definition")
TABLES = {t.name: t for t in MODEL["table"]}
COLUMN_REF = re.compile(r"(\w+)\[([^\]]+)\]")
MEASURE_REF = re.compile(r"(?<![\w\]])\[([^\]]+)\]")
DATA_TYPES = {
    "Int32": "int64",
    "Int64": "int64",
    "Float64": "double",
    "Bool": "boolean",
    "Date": "dateTime",
    "String": "string",
}


@pytest.fixture(scope="module")
def warehouse_columns(tmp_path_factory) -> dict[str, dict[str, str]]:
    settings = Settings(home=tmp_path_factory.mktemp("pbi"), lake_url="", clickhouse_url="")
    warehouse = Warehouse(settings)
    migrate(warehouse)
    frame = warehouse.query_df(
        f"SELECT table, name, type FROM system.columns WHERE database = '{settings.warehouse_database}'"
    )
    columns: dict[str, dict[str, str]] = {}
    for row in frame.itertuples():
        columns.setdefault(row.table, {})[row.name] = row.type
    return columns


def model_columns(table: str) -> dict[str, dict]:
    return {c.name: c.properties for c in TABLES[table].all("column")}


def measures() -> dict[str, tuple[str, str]]:
    return {m.name: (t.name, m.value) for t in MODEL["table"] for m in t.all("measure")}


def test_star_schema_tables_are_in_the_model():
    wanted = {
        "fact_sales",
        "fact_inventory",
        "fact_ml_predictions",
        "fact_slow_movers",
        "fact_cross_sell",
        "dim_date",
        "dim_product",
        "dim_store",
        "dq_results",
        "store_access",
    }
    assert set(TABLES) == wanted
    assert {r.name for r in MODEL["ref"] if r.value == "table"} == wanted


def test_every_source_column_exists_in_the_warehouse_with_a_type_power_bi_loads(warehouse_columns):
    for name, _table in TABLES.items():
        assert name in warehouse_columns, f"model table {name} has no warehouse table"
        for column, props in model_columns(name).items():
            source = props["sourceColumn"]
            assert source in warehouse_columns[name], f"{name}.{column}: no column {source} in the warehouse"
            ch_type = re.sub(r"^(Nullable|LowCardinality)\((.*)\)$", r"\2", warehouse_columns[name][source])
            assert not ch_type.startswith("UInt64"), (
                f"{name}.{source} is UInt64: the connector will not load it"
            )
            expected = DATA_TYPES.get(
                ch_type.split("(")[0], "dateTime" if ch_type.startswith("DateTime") else None
            )
            assert props["dataType"] == expected, (
                f"{name}.{column}: {props['dataType']} vs ClickHouse {ch_type}"
            )


def test_partitions_read_the_table_of_their_name_through_the_parameters():
    parameters = {e.name for e in MODEL["expression"]}
    for name, table in TABLES.items():
        (partition,) = table.all("partition")
        source = "\n".join(partition.source)
        assert f'[Name = "{name}"]' in source
        assert set(re.findall(r"ClickHouse\w+(?=[,)])", source)) <= parameters
        assert partition.properties["mode"] in {"import", "directQuery", "dual"}


def test_measures_reference_existing_columns_and_measures():
    known = measures()
    assert len(known) == sum(len(t.all("measure")) for t in MODEL["table"]), "measure names must be unique"
    for name, (_, expression) in known.items():
        for table, column in COLUMN_REF.findall(expression):
            assert column in model_columns(table), f"measure {name!r} reads unknown {table}[{column}]"
        for ref in MEASURE_REF.findall(expression):
            assert ref in known, f"measure {name!r} reads unknown measure [{ref}]"


def test_relationships_join_facts_to_dimensions_on_existing_keys():
    seen = set()
    for rel in MODEL["relationship"]:
        (from_table, from_column), (to_table, to_column) = (
            rel.properties[side].split(".") for side in ("fromColumn", "toColumn")
        )
        assert from_column in model_columns(from_table) and to_column in model_columns(to_table)
        assert to_table.startswith("dim_") and from_table.startswith("fact_"), "one-to-many from dimensions"
        seen.add((from_table, to_table))
    assert len(seen) == 14
    assert ("fact_cross_sell", "dim_store") not in seen, "ALL matches no store: a role would hide those lists"


def test_the_date_table_is_marked():
    assert TABLES["dim_date"].properties.get("dataCategory") == "Time"
    assert "isKey" in next(c for c in TABLES["dim_date"].all("column") if c.name == "date").flags


def test_roles_filter_stores_by_the_viewer():
    roles = {r.name: r for r in MODEL["role"]}
    assert set(roles) == {"Store Manager", "Regional Manager", "Executive"}
    assert roles["Executive"].all("tablePermission") == []
    for name in ("Store Manager", "Regional Manager"):
        permissions = {p.name: p.value for p in roles[name].all("tablePermission")}
        assert "USERPRINCIPALNAME()" in permissions["dim_store"]
        for table, column in COLUMN_REF.findall(permissions["dim_store"]):
            assert column in model_columns(table)
        for column in re.findall(r"^\[(\w+)\]", permissions["dim_store"]):
            assert column in model_columns("dim_store")


def test_every_store_keyed_fact_is_filtered_by_the_restricted_roles():
    """Through its relationship to dim_store, or (fact_cross_sell) by its own store_key, where the chain-wide
    lists (store_key ALL) stay visible to every role."""
    to_store = {
        rel.properties["fromColumn"].split(".")[0]
        for rel in MODEL["relationship"]
        if rel.properties["toColumn"] == "dim_store.store_key"
    }
    facts = {name for name in TABLES if name.startswith("fact_") and "store_key" in model_columns(name)}
    roles = {r.name: r for r in MODEL["role"]}
    for name in ("Store Manager", "Regional Manager"):
        permissions = {p.name: p.value for p in roles[name].all("tablePermission")}
        assert facts - to_store == {"fact_cross_sell"} and "fact_cross_sell" in permissions, name
        lists = permissions["fact_cross_sell"]
        assert lists.startswith('[store_key] = "ALL" || [store_key] IN ') and "USERPRINCIPALNAME()" in lists
        for table, column in COLUMN_REF.findall(lists):
            assert column in model_columns(table), (name, table, column)


def test_the_reader_is_strict(tmp_path):
    bad = tmp_path / "bad.tmdl"
    bad.write_text("table t\n\tcolumn c\n\t\tdataTyp: string\n")
    with pytest.raises(TmdlError, match=r"bad.tmdl:3: unknown property"):
        read(bad)


def test_pbip_files_have_the_documented_shape():
    pbip = json.loads((POWERBI / "shelfwise.pbip").read_text())
    assert pbip["version"] and pbip["artifacts"] == [{"report": {"path": "shelfwise.Report"}}]
    pbism = json.loads((MODEL_DIR / "definition.pbism").read_text())
    assert pbism["version"] == "4.0"
    pbir = json.loads((POWERBI / "shelfwise.Report" / "definition.pbir").read_text())
    target = POWERBI / "shelfwise.Report" / pbir["datasetReference"]["byPath"]["path"]
    assert target.resolve() == MODEL_DIR.resolve()
    pbids = json.loads((POWERBI / "shelfwise.pbids").read_text())
    assert pbids["version"] == "0.1" and pbids["connections"][0]["details"]["protocol"] == "odbc"


def test_report_pages_show_only_what_the_model_has():
    report = json.loads((POWERBI / "shelfwise.Report" / "report.json").read_text())
    pages = [s["displayName"] for s in report["sections"]]
    assert pages == ["Executive", "Store Manager", "Inventory Analyst", "ML Model Performance", "Alerts"]
    known = measures()
    for section in report["sections"]:
        assert section["visualContainers"], f"page {section['displayName']} is empty"
        for container in section["visualContainers"]:
            visual = json.loads(container["config"])["singleVisual"]
            for refs in visual["projections"].values():
                for ref in refs:
                    table, field = ref["queryRef"].split(".", 1)
                    assert field in model_columns(table) or known.get(field, ("",))[0] == table, ref
