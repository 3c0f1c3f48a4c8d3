"""A simulated scenario end to end: build the chain, run the days, publish, keep the ledger."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np

from infra.simulator.chain import Chain, build_chain
from infra.simulator.engine import ChainSimulator, Ledger
from infra.simulator.events import EncodedDay, encode_day


@dataclass(frozen=True)
class Scenario:
    """Which chain, which days, which seed."""

    stores: int = 10
    skus: int = 200
    days: int = 365
    seed: int = 7
    start: date | None = None  # first business day; default: the history ends yesterday

    @property
    def first_day(self) -> date:
        return self.start or datetime.now(UTC).date() - timedelta(days=self.days)


@dataclass
class ScenarioRun:
    """What a run produced: the chain, the ledger, events per topic, and how fast."""

    scenario: Scenario
    chain: Chain
    ledger: Ledger
    events_by_topic: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    started: float = 0.0  # perf_counter at the start, so a caller can include its own flush

    @property
    def events(self) -> int:
        return sum(self.events_by_topic.values())

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def generate(scenario: Scenario) -> tuple[Chain, ChainSimulator, Iterator[EncodedDay]]:
    """The chain, its simulator, and a lazy iterator of each trading day's encoded events."""
    rng = np.random.default_rng(scenario.seed)
    chain = build_chain(rng, scenario.stores, scenario.skus)
    simulator = ChainSimulator(chain, scenario.first_day, rng)

    def days() -> Iterator[EncodedDay]:
        for d in range(scenario.days):
            batches = simulator.run_day(d)
            day = (scenario.first_day + timedelta(days=d)).isoformat()
            yield encode_day(day, scenario.seed, batches, chain.stores["store_id"])

    return chain, simulator, days()


def run(scenario: Scenario, sink: Callable[[EncodedDay], None], on_day: Callable[[int], None] | None = None,
        on_chain: Callable[[Chain], None] | None = None) -> ScenarioRun:  # fmt: skip
    """Simulate every day and hand each day's events to `sink` (a publisher, or a list in tests).

    `on_chain` sees the chain before the first day (to write the dimensions); `on_day` gets each day's count.
    """
    started = time.perf_counter()
    chain, simulator, days = generate(scenario)
    if on_chain:
        on_chain(chain)
    result = ScenarioRun(scenario, chain, simulator.ledger, started=started)
    for day in days:
        sink(day)
        for topic, (_, values) in day.messages.items():
            result.events_by_topic[topic] = result.events_by_topic.get(topic, 0) + len(values)
        if on_day:
            on_day(day.count)
    result.seconds = time.perf_counter() - started
    return result
