"""Every JSON file of the Power BI project validates against Microsoft's published schemas (local copy in
shared/specs, resolved without network), and the project regenerates byte for byte from its description."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from referencing.exceptions import NoSuchResource
from typer.testing import CliRunner

from infra.cli import app as shelfwise_cli
from infra.powerbi_project import GENERATED_FOLDERS, project_files, write_project

from .pbip_schemas import REPO, errors, validator

POWERBI = REPO / "powerbi"
# The files of a PBIP that carry a Microsoft schema: report, pages, visuals, definition.pbir,
# definition.pbism, .platform. (shelfwise.pbip and .pbids have none in the published set.)
SCHEMA_FILES = sorted(
    p
    for p in POWERBI.rglob("*")
    if p.is_file() and (p.suffix in {".json", ".pbir", ".pbism"} or p.name == ".platform")
)
VISUAL = "shelfwise.Report/definition/pages/overview/visuals/stock_value/visual.json"


def test_the_project_has_the_pbir_files_a_report_needs():
    names = {p.relative_to(POWERBI).as_posix() for p in SCHEMA_FILES}
    assert {
        "shelfwise.Report/definition.pbir",
        "shelfwise.Report/definition/report.json",
        "shelfwise.Report/definition/version.json",
        "shelfwise.Report/definition/pages/pages.json",
        "shelfwise.SemanticModel/definition.pbism",
    } <= names
    assert not (POWERBI / "shelfwise.Report" / "report.json").exists(), "the legacy report format is gone"
    assert sum(n.endswith("/visual.json") for n in names) >= 6 * 3


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.relative_to(POWERBI).as_posix())
def test_every_pbip_json_file_validates_against_its_microsoft_schema(path: Path):
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["$schema"].startswith("https://developer.microsoft.com/json-schemas/fabric/")
    assert errors(document) == []


def test_the_validator_rejects_what_the_schema_forbids():
    """Mutations of a real visual that Microsoft's schema rejects, through the cross-file $refs
    (visualContainer -> visualConfiguration -> semanticQuery / formattingObjectDefinitions)."""
    visual = json.loads((POWERBI / VISUAL).read_text())
    field = visual["visual"]["query"]["queryState"]["Values"]["projections"][0]
    broken_field, unknown_key, no_position = (copy.deepcopy(visual) for _ in range(3))
    broken_field["visual"]["query"]["queryState"]["Values"]["projections"][0]["field"] = {
        "Measure": {"Property": field["field"]["Measure"]["Property"]}
    }
    unknown_key["visual"]["visualContainerObjects"]["title"][0]["properties"]["colour"] = "red"
    del no_position["position"]
    assert any("'Expression' is a required property" in e for e in errors(broken_field))
    assert any("'colour' was unexpected" in e for e in errors(unknown_key))
    assert any("'position' is a required property" in e for e in errors(no_position))


def test_a_schema_outside_the_local_copy_is_an_error_not_a_download():
    with pytest.raises(NoSuchResource):
        validator(
            "https://developer.microsoft.com/json-schemas/fabric/item/report/definition/page/9.9.9/schema.json"
        )


def test_the_committed_project_is_what_the_description_generates(tmp_path):
    """Golden files: `shelfwise powerbi build` into a temp folder reproduces powerbi/ exactly, and the
    generated folders hold nothing else."""
    result = CliRunner().invoke(shelfwise_cli, ["powerbi", "build", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    generated = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert generated == set(project_files())
    for relative in sorted(generated):
        committed = POWERBI / relative
        assert committed.is_file(), (
            f"{relative} is generated but not committed: run `shelfwise powerbi build`"
        )
        assert committed.read_bytes() == (tmp_path / relative).read_bytes(), (
            f"{relative} differs from the build"
        )
    for folder in GENERATED_FOLDERS:
        stray = {
            p.relative_to(POWERBI).as_posix() for p in (POWERBI / folder).rglob("*") if p.is_file()
        } - generated
        assert not stray, f"files the generator no longer writes: {sorted(stray)}"


def test_a_rebuild_removes_files_the_description_no_longer_has(tmp_path):
    stale = tmp_path / "shelfwise.Report" / "definition" / "pages" / "retired" / "page.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    write_project(tmp_path)
    assert not stale.exists()
