"""Sending simulated events to Kafka: batched producers keyed by store, here and in a helper process.

kafka-python builds every record in Python, so one process tops out near 70,000 events/s. The stores are
shared between this process's producer and a helper process's producer: each store's events still go through
one producer, to one partition, in order. Both ride over a broker restart (retries, generous timeouts), and
`close` raises when any event was not acknowledged.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Iterable
from typing import Any

import numpy as np
from kafka import KafkaProducer
from kafka.partitioner.default import murmur2
from kafka.structs import TopicPartition

from infra.kafka_local import CLIENT_API_VERSION
from infra.settings import Settings

HELPER_WAIT_S = 300.0  # longest wait for the helper to flush: beyond the producers' own time-outs
RECORD_OVERHEAD = 100  # bound on what a record adds to a batch beyond its key and value (header included)


class PublishError(RuntimeError):
    """Some events were not acknowledged by the broker (they are not in Kafka)."""


def producer_config(bootstrap: str) -> dict[str, Any]:
    """KafkaProducer settings tuned for throughput and for riding over a broker restart."""
    return {
        "bootstrap_servers": bootstrap,
        "client_id": "shelfwise-simulator",
        "api_version": CLIENT_API_VERSION,  # no version probe at start-up
        "acks": 1,
        "linger_ms": 20,
        "batch_size": 512 * 1024,
        "buffer_memory": 256 * 2**20,
        "max_request_size": 4 * 2**20,
        "compression_type": "lz4",
        # One request in flight per connection keeps per-partition order even when a batch is retried.
        "max_in_flight_requests_per_connection": 1,
        # A broker restart takes seconds: keep retrying, and let batches wait that long for it.
        "retries": 1_000_000,
        "retry_backoff_ms": 200,
        "request_timeout_ms": 60_000,
        "max_block_ms": 120_000,
    }


class _Producer:
    """A KafkaProducer that counts the events the broker never acknowledged.

    `send` appends straight to the producer's record accumulator: KafkaProducer.send re-checks every record
    (metadata, serializers, headers, size estimate) for about a third of its cost, and these events are plain
    bytes for partitions already known. Batching, compression, retries, acks and flush are the producer's
    own. (`_accumulator` and `_sender` are kafka-python-ng internals; constraints.txt pins its version.)
    """

    def __init__(self, bootstrap: str):
        self.kafka = KafkaProducer(**producer_config(bootstrap))
        self.failed, self.first_error = 0, ""

    def send(self, topic: str, partitions: list[int], keys: list[bytes], stores: list[int], values) -> None:
        kafka = self.kafka
        kafka.partitions_for(topic)  # registers the topic and waits for its metadata, as send() does
        append, wakeup, on_error = kafka._accumulator.append, kafka._sender.wakeup, self._on_error
        targets = {p: TopicPartition(topic, p) for p in set(partitions)}
        block_ms, headers = kafka.config["max_block_ms"], []
        for partition, store, value in zip(partitions, stores, values, strict=True):
            key = keys[store]
            size = len(key) + len(value) + RECORD_OVERHEAD
            future, full, new = append(targets[partition], None, key, value, headers, block_ms, size)
            future.add_errback(on_error)
            if full or new:  # a batch to send: wake the I/O thread, as send() does
                wakeup()

    def _on_error(self, error: Exception) -> None:
        self.failed += 1
        self.first_error = self.first_error or repr(error)

    def flush(self) -> tuple[int, str]:
        self.kafka.flush()
        return self.failed, self.first_error


def _helper_main(bootstrap: str, keys: list[bytes], inbox, outbox) -> None:
    """The helper process: send what arrives, answer each flush with (failed, first error)."""
    producer = _Producer(bootstrap)
    try:
        while True:
            command, *args = inbox.get()
            if command == "send":
                producer.send(args[0], args[1], keys, args[2], args[3])
            else:  # "flush" or "close"
                outbox.put(producer.flush())
                if command == "close":
                    return
    finally:
        producer.kafka.close()


class _Helper:
    """A producer in a child process (spawned: this process may run threads and a JVM)."""

    def __init__(self, bootstrap: str, keys: list[bytes]):
        context = multiprocessing.get_context("spawn")
        self.inbox, self.outbox = context.Queue(), context.Queue()
        self.process = context.Process(
            target=_helper_main, args=(bootstrap, keys, self.inbox, self.outbox), daemon=True
        )
        self.process.start()

    def send(self, topic: str, partitions: list[int], stores: list[int], values: list[bytes]) -> None:
        self.inbox.put(("send", topic, partitions, stores, values))

    def flush(self, command: str = "flush") -> tuple[int, str]:
        self.inbox.put((command,))
        waited = 0.0
        while True:
            try:
                return self.outbox.get(timeout=1.0)
            except queue.Empty:
                waited += 1.0
                if not self.process.is_alive() or waited > HELPER_WAIT_S:
                    raise PublishError(
                        f"the simulator's helper producer stopped answering (exit code "
                        f"{self.process.exitcode}); its unflushed events may be missing"
                    ) from None

    def close(self) -> tuple[int, str]:
        try:
            return self.flush("close")
        finally:
            self.process.join(timeout=10)
            if self.process.is_alive():
                self.process.kill()


class _Producers:
    """This process's producer and the helper's, flushed together (what `EventPublisher.producer` is)."""

    def __init__(self, local: _Producer, helper: _Helper | None):
        self.local, self.helper = local, helper

    def send(self, *args, **kwargs):
        """KafkaProducer.send on this process's producer."""
        return self.local.kafka.send(*args, **kwargs)

    def partitions_for(self, topic: str) -> set[int]:
        return self.local.kafka.partitions_for(topic)

    def flush(self) -> None:
        """Wait until every event given so far is acknowledged; raise PublishError if some never were."""
        _raise_failures([self.local.flush(), *([self.helper.flush()] if self.helper else [])])

    def close(self) -> None:
        """Flush, stop the helper and close; raise PublishError if some events were never acknowledged."""
        results = []
        try:
            results.append(self.local.flush())
            if self.helper:
                results.append(self.helper.close())
        finally:
            if self.helper and self.helper.process.is_alive():
                self.helper.process.kill()
            self.local.kafka.close()
        _raise_failures(results)


def _raise_failures(results: list[tuple[int, str]]) -> None:
    failed = sum(n for n, _ in results)
    if failed:
        first = next(error for n, error in results if n)
        raise PublishError(f"{failed:,} events were not acknowledged by Kafka; first error: {first}")


class EventPublisher:
    """Producers keyed by store: each store's events go through one producer to one partition, in order.

    With `helper` (the default on two cores or more), two stores in three are sent from the helper process:
    this one also simulates and encodes.
    """

    def __init__(self, settings: Settings, store_ids: Iterable[str], helper: bool | None = None):
        self.keys = [s.encode() for s in store_ids]
        if helper is None:
            helper = (os.cpu_count() or 1) > 1 and len(self.keys) > 1
        bootstrap = settings.kafka_bootstrap
        self.producer = _Producers(_Producer(bootstrap), _Helper(bootstrap, self.keys) if helper else None)
        self._partitions: dict[str, np.ndarray] = {}

    def send(self, topic: str, store: np.ndarray, values: list[bytes]) -> None:
        """Send one topic's events; `store[i]` is the index of the store that emitted `values[i]`."""
        partition = self._partition_map(topic)[store]
        helper = self.producer.helper
        if helper is None:
            self.producer.local.send(topic, partition.tolist(), self.keys, store.tolist(), values)
            return
        for local in (True, False):
            mine = np.flatnonzero((store % 3 == 0) == local)
            if len(mine) == 0:
                continue
            share = partition[mine].tolist(), store[mine].tolist(), [values[i] for i in mine.tolist()]
            if local:
                self.producer.local.send(topic, share[0], self.keys, share[1], share[2])
            else:
                helper.send(topic, *share)

    def flush(self) -> None:
        """Wait until everything sent so far is acknowledged (raises PublishError otherwise)."""
        self.producer.flush()

    def _partition_map(self, topic: str) -> np.ndarray:
        """The default partitioner's choice (murmur2 of the key) per store, computed once per topic."""
        if topic not in self._partitions:
            count = len(self.producer.partitions_for(topic))
            self._partitions[topic] = np.array([(murmur2(key) & 0x7FFFFFFF) % count for key in self.keys])
        return self._partitions[topic]

    def close(self) -> None:
        """Flush and close every producer; raises PublishError if some events were never acknowledged."""
        self.producer.close()
