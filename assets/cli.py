"""`shelfwise materialize|plan|status|lineage|backfill`."""

import typer


def register(app: typer.Typer) -> None:
    """Add the asset commands to the top-level app."""
