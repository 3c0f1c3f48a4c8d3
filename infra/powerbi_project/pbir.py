"""Render the report in PBIR (the enhanced report format): one JSON file per report, page and visual, each
naming the Microsoft schema it follows in `$schema`.

Every visual binds its data roles to model fields with semantic-query expressions (`Measure` or `Column` on
a `SourceRef` entity); nothing carries an `Aggregation`, so every number comes from an explicit measure.
"""

from __future__ import annotations

import json

from infra.powerbi_project.spec import Field, Page, Project, Visual

SCHEMA = "https://developer.microsoft.com/json-schemas/fabric/item/"
SCHEMAS = {
    "definition.pbir": SCHEMA + "report/definitionProperties/2.0.0/schema.json",
    "definition.pbism": SCHEMA + "semanticModel/definitionProperties/1.0.0/schema.json",
    "version": SCHEMA + "report/definition/versionMetadata/1.0.0/schema.json",
    "report": SCHEMA + "report/definition/report/3.3.0/schema.json",
    "pages": SCHEMA + "report/definition/pagesMetadata/1.1.0/schema.json",
    "page": SCHEMA + "report/definition/page/2.1.0/schema.json",
    "visual": SCHEMA + "report/definition/visualContainer/2.9.0/schema.json",
}
PAGE_SIZE = {"width": 1280, "height": 720}


def dump(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _literal(value: str) -> dict:
    return {"expr": {"Literal": {"Value": value}}}


def _text(value: str) -> dict:
    """A string literal of the semantic query language: single-quoted, quotes doubled."""
    return _literal("'" + value.replace("'", "''") + "'")


def field_expression(field: Field) -> dict:
    kind = "Measure" if field.is_measure else "Column"
    return {kind: {"Expression": {"SourceRef": {"Entity": field.table}}, "Property": field.name}}


def projection(field: Field) -> dict:
    return {
        "field": field_expression(field),
        "queryRef": f"{field.table}.{field.name}",
        "nativeQueryRef": field.name,
    }


def visual_document(visual: Visual, z: int) -> dict:
    x, y, width, height = visual.box
    query: dict = {
        "queryState": {
            role: {"projections": [projection(f) for f in fields]} for role, fields in visual.roles.items()
        }
    }
    if visual.sort:
        query["sortDefinition"] = {
            "sort": [{"field": field_expression(visual.sort), "direction": "Descending"}],
            "isDefaultSort": False,
        }
    config: dict = {
        "visualType": visual.visual_type,
        "query": query,
        "visualContainerObjects": {
            "title": [{"properties": {"show": _literal("true"), "text": _text(visual.title)}}]
        },
    }
    if visual.single_select:
        config["objects"] = {"selection": [{"properties": {"singleSelect": _literal("true")}}]}
    return {
        "$schema": SCHEMAS["visual"],
        "name": visual.name,
        "position": {"x": x, "y": y, "z": z, "width": width, "height": height, "tabOrder": z},
        "visual": config,
    }


def page_document(page: Page) -> dict:
    return {
        "$schema": SCHEMAS["page"],
        "name": page.name,
        "displayName": page.display_name,
        "displayOption": "FitToPage",
        **PAGE_SIZE,
    }


def report_files(project: Project) -> dict[str, str]:
    """Path (relative to shelfwise.Report) -> JSON text."""
    files = {
        "definition.pbir": dump(
            {
                "$schema": SCHEMAS["definition.pbir"],
                "version": "4.0",
                "datasetReference": {"byPath": {"path": "../shelfwise.SemanticModel"}},
            }
        ),
        "definition/version.json": dump({"$schema": SCHEMAS["version"], "version": "2.0.0"}),
        "definition/report.json": dump({"$schema": SCHEMAS["report"], "themeCollection": {}}),
        "definition/pages/pages.json": dump(
            {
                "$schema": SCHEMAS["pages"],
                "pageOrder": [p.name for p in project.pages],
                "activePageName": project.pages[0].name,
            }
        ),
    }
    for page in project.pages:
        folder = f"definition/pages/{page.name}"
        files[f"{folder}/page.json"] = dump(page_document(page))
        for z, visual in enumerate(page.visuals):
            files[f"{folder}/visuals/{visual.name}/visual.json"] = dump(visual_document(visual, z))
    return files


def semantic_model_properties() -> dict[str, str]:
    """definition.pbism: version 4.0+ means the model is a TMDL folder."""
    return {
        "definition.pbism": dump({"$schema": SCHEMAS["definition.pbism"], "version": "4.2", "settings": {}})
    }
