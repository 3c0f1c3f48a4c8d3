"""`shelfwise simulate`: publish a simulated chain's POS events to Kafka and its dimensions to the lake."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from infra.settings import Settings
from infra.simulator.scenario import Scenario, ScenarioRun, run


def simulate(
    stores: Annotated[int, typer.Option(help="Number of stores.")] = 10,
    skus: Annotated[int, typer.Option(help="Number of SKUs.")] = 200,
    days: Annotated[int, typer.Option(help="Days of history.")] = 365,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same events.")] = 7,
    start: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="First business day (default: ends yesterday)."),
    ] = None,
) -> None:
    """Publish simulated POS events (sales, receipts, stock counts, price changes) to Kafka."""
    from infra.settings import get_settings

    run_scenario(
        get_settings(), stores=stores, skus=skus, days=days, seed=seed, start=start.date() if start else None
    )


def run_scenario(
    settings: Settings,
    *,
    stores: int,
    skus: int,
    days: int,
    seed: int,
    start: date | None = None,
    console: Console | None = None,
) -> ScenarioRun:
    """Write the reference dimensions, publish every event, and print the rate; returns the run and ledger."""
    from infra.kafka_local import ensure_topics
    from infra.simulator.chain import write_reference
    from infra.simulator.publish import EventPublisher

    console = console or Console(stderr=True)
    scenario = Scenario(stores, skus, days, seed, start)
    ensure_topics(settings)
    publishers: list[EventPublisher] = []

    def open_chain(chain) -> None:
        write_reference(settings, chain)
        publishers.append(EventPublisher(settings, chain.stores["store_id"].tolist()))

    def publish(day) -> None:
        for topic, (store, values) in day.messages.items():
            publishers[0].send(topic, store, values)

    with _progress(console) as progress:
        task = progress.add_task(f"simulating {scenario.first_day} + {days} days", total=days)
        try:
            result = run(scenario, publish, on_day=lambda n: progress.advance(task), on_chain=open_chain)
            publishers[0].producer.flush()
            result.seconds = time.perf_counter() - result.started
        finally:
            for publisher in publishers:
                publisher.close()
    console.print(
        f"published {result.events:,} events ({_by_topic(result)}) in {result.seconds:.1f}s: "
        f"{result.events_per_s:,.0f} events/s"
    )
    return result


def _progress(console: Console) -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    return Progress(*columns, console=console, transient=False)


def _by_topic(result: ScenarioRun) -> str:
    return ", ".join(f"{topic} {n:,}" for topic, n in sorted(result.events_by_topic.items()))
