"""`shelfwise airflow up|down`: Airflow 3 standalone on this project's dags/. Filled in by issue 3."""

import typer

app = typer.Typer(no_args_is_help=True)
