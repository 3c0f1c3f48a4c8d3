"""`shelfwise simulate`: publish a simulated chain's POS events to Kafka and its dimensions to the lake."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from infra.kafka_local import ensure_topics
from infra.settings import REPO_ROOT, Settings, get_settings
from infra.simulator.chain import write_reference
from infra.simulator.events import EncodedDay
from infra.simulator.scenario import Scenario, ScenarioRun, generate


def simulate(
    stores: Annotated[int, typer.Option(help="Number of stores.")] = 10,
    skus: Annotated[int, typer.Option(help="Number of SKUs.")] = 200,
    days: Annotated[
        int | None, typer.Option(help="Days of history (default 365; with --replay, the whole dataset).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same events.")] = 7,
    start: Annotated[
        str | None,
        typer.Option(help="First business day YYYY-MM-DD (default: ends yesterday); with --replay also d_X."),
    ] = None,
    replay: Annotated[
        str | None,
        typer.Option(help="Replay a real dataset instead of simulating: m5 (daily item x store units)."),
    ] = None,
    data: Annotated[
        Path, typer.Option(help="Folder holding the real datasets (m5/ inside).")
    ] = REPO_ROOT.parent / "shared" / "data",
) -> None:
    """Publish simulated (or replayed real) POS events: sales, receipts, stock counts, price changes."""
    if replay:
        run_replay(get_settings(), replay, data, days=days, start=start, seed=seed)
        return
    first = date.fromisoformat(start) if start else None
    run_scenario(get_settings(), stores=stores, skus=skus, days=days or 365, seed=seed, start=first)


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
    scenario = Scenario(stores, skus, days, seed, start)
    chain, simulator, day_events = generate(scenario)
    description = f"simulating {scenario.first_day} + {days} days"
    return publish_days(
        settings, ScenarioRun(scenario, chain, simulator.ledger), day_events, description, console
    )


def run_replay(
    settings: Settings,
    dataset: str,
    data: Path,
    *,
    days: int | None = None,
    start: str | None = None,
    seed: int = 7,
    console: Console | None = None,
) -> ScenarioRun:
    """Replay a real dataset (`m5`) from `data` as POS events, published like a simulated chain."""
    from infra.simulator.replay import (  # lazy: pandas, ~180 ms at CLI start
        DATASETS,
        ReplayWindow,
        load_replay,
        parse_start,
        replay_days,
    )

    if dataset not in DATASETS:
        raise typer.BadParameter(
            f"unknown dataset {dataset!r}; known: {', '.join(DATASETS)}", param_hint="--replay"
        )
    replay = load_replay(data, ReplayWindow(parse_start(start), days))
    simulator, day_events = replay_days(replay, seed)
    scenario = Scenario(replay.chain.n_stores, replay.chain.n_skus, replay.n_days, seed, replay.first_day)
    description = f"replaying {dataset} {replay.first_day} + {replay.n_days} days"
    result = ScenarioRun(scenario, replay.chain, simulator.ledger)
    return publish_days(settings, result, day_events, description, console)


def publish_days(
    settings: Settings,
    result: ScenarioRun,
    day_events: Iterable[EncodedDay],
    description: str,
    console: Console | None = None,
) -> ScenarioRun:
    """Write `result.chain`'s reference dimensions, publish every day's events with a progress bar, print
    the rate; `result` collects the counts per topic."""
    from infra.simulator.publish import EventPublisher  # lazy: kafka, ~90 ms at CLI start

    console = console or Console(stderr=True)
    result.started = time.perf_counter()
    # The helper producer process starts (imports, connects) while the topics and dimensions are checked.
    publisher = EventPublisher(settings, result.chain.stores["store_id"].tolist())
    with _progress(console) as progress:
        task = progress.add_task(description, total=result.scenario.days)
        try:
            ensure_topics(settings)
            write_reference(settings, result.chain)
            for day in day_events:
                for topic, (store, values) in day.messages.items():
                    publisher.send(topic, store, values)
                    result.events_by_topic[topic] = result.events_by_topic.get(topic, 0) + len(values)
                progress.advance(task)
            publisher.producer.flush()
            result.seconds = time.perf_counter() - result.started
        finally:
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
