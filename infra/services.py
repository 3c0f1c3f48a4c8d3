"""Local services (Kafka broker in KRaft mode, MinIO server): start, stop, status. Filled in by issue 2."""

import typer

app = typer.Typer(no_args_is_help=True)
