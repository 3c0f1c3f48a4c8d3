"""Each visual of the PBIR report binds model fields that exist, and every number it shows comes from an
explicit measure: the model discourages implicit measures, so a raw numeric column in a visual (which
Power BI would sum or count on its own) or a query-side Aggregation is a defect."""

from __future__ import annotations

import json

from .model_files import NUMERIC, PAGES, columns, measures, tables, visuals

AGGREGATES = {"Aggregation", "Min", "Max", "Percentile"}


def bound_fields(visual: dict) -> list[dict]:
    query = visual["visual"].get("query", {})
    fields = [p["field"] for state in query.get("queryState", {}).values() for p in state["projections"]]
    return fields + [s["field"] for s in query.get("sortDefinition", {}).get("sort", [])]


def field_problems(field: dict) -> list[str]:
    """What is wrong with one bound field: unknown to the model, or a number shown without a measure."""
    text = json.dumps(field)
    if any(f'"{key}"' in text for key in AGGREGATES):
        return [f"query-side aggregation {text}"]
    (kind, reference), *_ = field.items()
    table, name = reference["Expression"]["SourceRef"]["Entity"], reference["Property"]
    if table not in tables():
        return [f"unknown table {table}"]
    if kind == "Measure":
        return [] if measures().get(name, ("",))[0] == table else [f"unknown measure {table}[{name}]"]
    if kind != "Column" or name not in columns(table):
        return [f"unknown {kind.lower()} {table}[{name}]"]
    if columns(table)[name].properties["dataType"] in NUMERIC:
        return [f"raw numeric column {table}[{name}] (implicit aggregation)"]
    return []


def visual_problems(visual: dict) -> list[str]:
    fields = bound_fields(visual)
    if not fields:
        return ["binds no field"]
    return [problem for field in fields for problem in field_problems(field)]


def test_every_visual_binds_fields_the_model_has_and_shows_numbers_only_through_measures():
    found = visuals()
    assert len(found) >= 18
    for path, visual in found:
        assert visual_problems(visual) == [], path.relative_to(PAGES)


def test_the_checks_catch_unbound_unknown_and_implicitly_aggregated_fields():
    def column(table: str, name: str) -> dict:
        return {"Column": {"Expression": {"SourceRef": {"Entity": table}}, "Property": name}}

    def visual(*fields: dict) -> dict:
        projections = [{"field": f, "queryRef": "q"} for f in fields]
        return {
            "visual": {
                "visualType": "tableEx",
                "query": {"queryState": {"Values": {"projections": projections}}},
            }
        }

    summed = {"Aggregation": {"Expression": column("fact_inventory", "value_at_cost"), "Function": 0}}
    assert visual_problems({"visual": {"visualType": "card"}}) == ["binds no field"]
    assert "implicit aggregation" in visual_problems(visual(column("fact_inventory", "value_at_cost")))[0]
    assert "query-side aggregation" in visual_problems(visual(summed))[0]
    assert (
        "unknown measure"
        in visual_problems(visual({"Measure": column("fact_sales", "Stock Value")["Column"]}))[0]
    )
    assert visual_problems(visual(column("dim_store", "name"))) == []


def test_the_pages_store_teams_use_are_there_in_order():
    order = json.loads((PAGES / "pages.json").read_text())["pageOrder"]
    names = [json.loads((PAGES / page / "page.json").read_text())["displayName"] for page in order]
    assert names == [
        "Overview",
        "Stock",
        "Forecast accuracy",
        "Reorders",
        "Slow movers & cross-sell",
        "Data quality",
    ]
    assert {p.name for p in PAGES.iterdir() if p.is_dir()} == set(order)


def test_the_reorder_list_is_read_one_store_at_a_time():
    by_name = {path.parent.name: v for path, v in visuals() if path.parts[-4] == "reorders"}
    slicer = by_name["store_slicer"]["visual"]
    assert slicer["visualType"] == "slicer"
    assert (
        slicer["objects"]["selection"][0]["properties"]["singleSelect"]["expr"]["Literal"]["Value"] == "true"
    )
    (field,) = bound_fields(by_name["store_slicer"])
    assert field["Column"]["Expression"]["SourceRef"]["Entity"] == "dim_store"
    shown = {f.get("Measure", {}).get("Property") for f in bound_fields(by_name["order_list"])}
    assert {"Order Units", "Order Value", "Order Urgency"} <= shown


def test_the_forecast_page_plots_forecasts_against_actuals_on_their_target_days():
    chart = next(v for p, v in visuals() if p.parent.name == "forecast_vs_actual_by_target_end")
    state = chart["visual"]["query"]["queryState"]
    assert state["Category"]["projections"][0]["field"]["Column"]["Property"] == "target_end"
    assert {p["field"]["Measure"]["Property"] for p in state["Y"]["projections"]} == {
        "Forecast Units",
        "Actual Units",
    }
