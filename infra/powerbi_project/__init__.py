"""The Power BI project (powerbi/) generated from one Python description of the warehouse tables, the
measures and the report pages, so the DDL, the model and the report cannot drift apart.

`PROJECT` is the description; `project_files()` renders it; `write_project(folder)` writes it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from infra.powerbi_project.pages import PAGES
from infra.powerbi_project.pbir import dump, report_files, semantic_model_properties
from infra.powerbi_project.spec import Project
from infra.powerbi_project.tables import RELATIONSHIPS, ROLES, TABLES
from infra.powerbi_project.tmdl import PARAMETERS, semantic_model_files

PROJECT = Project(TABLES, RELATIONSHIPS, ROLES, PAGES)
POWERBI_DIR = Path(__file__).resolve().parents[2] / "powerbi"
# Folders the generator owns whole: a file in them that it no longer writes is removed.
GENERATED_FOLDERS = ("shelfwise.SemanticModel/definition", "shelfwise.Report/definition")
_GITIGNORE = (
    "# Power BI Desktop's local state: a data cache and per-user settings.\n"
    "**/.pbi/cache.abf\n**/.pbi/localSettings.json\n"
)


def _pbids() -> dict:
    host, port = (value.strip('"') for _, value, _, _ in PARAMETERS[:2])
    database = PARAMETERS[2][1].strip('"')
    driver = "driver={ClickHouse ODBC Driver (Unicode)}"
    return {
        "version": "0.1",
        "connections": [
            {
                "details": {
                    "protocol": "odbc",
                    "address": {"connectionString": f"{driver};url=http://{host}:{port};database={database}"},
                },
                "options": {},
            }
        ],
    }


def project_files(project: Project = PROJECT) -> dict[str, str]:
    """Path (relative to powerbi/) -> file text, for every generated file."""
    files = {
        ".gitignore": _GITIGNORE,
        "shelfwise.pbip": dump(
            {
                "version": "1.0",
                "artifacts": [{"report": {"path": "shelfwise.Report"}}],
                "settings": {"enableAutoRecovery": True},
            }
        ),
        "shelfwise.pbids": dump(_pbids()),
    }
    files |= {f"shelfwise.SemanticModel/{p}": text for p, text in semantic_model_properties().items()}
    files |= {f"shelfwise.SemanticModel/definition/{p}": t for p, t in semantic_model_files(project).items()}
    files |= {f"shelfwise.Report/{p}": text for p, text in report_files(project).items()}
    return files


def write_project(folder: Path = POWERBI_DIR, project: Project = PROJECT) -> list[Path]:
    """Write every generated file under `folder` (the generated folders are replaced whole)."""
    for generated in GENERATED_FOLDERS:
        shutil.rmtree(folder / generated, ignore_errors=True)
    written = []
    for relative, text in sorted(project_files(project).items()):
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
