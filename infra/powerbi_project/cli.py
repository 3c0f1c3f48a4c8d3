"""`shelfwise powerbi …`: regenerate the Power BI project from its Python description."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from infra.powerbi_project import POWERBI_DIR, write_project

app = typer.Typer(no_args_is_help=True)


@app.command()
def build(
    out: Annotated[
        Path | None, typer.Option(help="Folder to write (default: the repository's powerbi/).")
    ] = None,
) -> None:
    """Write the semantic model (TMDL) and the report (PBIR) from infra/powerbi_project."""
    written = write_project(out or POWERBI_DIR)
    Console().print(f"wrote {len(written)} files under {(out or POWERBI_DIR).resolve()}")
