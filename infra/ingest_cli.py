"""`shelfwise ingest …`: the operator's way past a batch the quarantine-rate guard stopped."""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.console import Console

from infra.settings import get_settings
from spark.schemas import TOPICS

app = typer.Typer(no_args_is_help=True)
console = Console()


@app.command()
def accept(
    topic: Annotated[str, typer.Argument(help=f"The stopped topic: one of {', '.join(TOPICS)}.")],
    why: Annotated[str, typer.Option("--why", help="Why this batch may land (recorded).")],
    by: Annotated[str | None, typer.Option("--by", help="Who accepts it (default: the login name).")] = None,
) -> None:
    """Let the next run commit every event pending on TOPIC now, however many of them are bad.

    The bad ones are still quarantined and dead-lettered; events arriving later are judged as usual."""
    if topic not in TOPICS:
        raise typer.BadParameter(f"{topic!r} is not one of {', '.join(TOPICS)}", param_hint="TOPIC")
    if not why.strip():
        raise typer.BadParameter("say why the batch may land", param_hint="--why")
    accepted = accept_pending(get_settings(), topic, why.strip(), by or getpass.getuser())
    if not accepted:
        console.print(f"{topic}: nothing pending; nothing to accept")
        raise typer.Exit(1)
    console.print(f"{topic}: {accepted} pending events accepted; the next {TOPICS[topic]} run commits them")


def accept_pending(settings, topic: str, why: str, by: str) -> int:
    """Record the acceptance in the warehouse and the lake; returns how many events it covers (0: none)."""
    import pandas as pd  # lazy: ~180 ms at CLI start

    from infra.warehouse import Warehouse  # lazy: pandas, ~180 ms at CLI start
    from spark.jobs import ingest_state as state  # lazy: pyarrow + ingest rules, ~60 ms at CLI start

    start, end = state.read_checkpoint(settings, topic), state.latest_offsets(settings, topic)
    pending = sum(max(0, offset - start.get(p, 0)) for p, offset in end.items())
    if not pending:
        return 0
    row = {"topic": topic, "from_offsets": json.dumps(start), "through_offsets": json.dumps(end),
           "pending_events": pending, "why": why, "accepted_by": by,
           "accepted_at": pd.Timestamp.now(tz="UTC")}  # fmt: skip
    Warehouse(settings).insert_df("ingest_acceptances", pd.DataFrame([row]))
    state.accept_through(settings, topic, end)  # last: an acceptance the warehouse lacks never takes effect
    return pending
