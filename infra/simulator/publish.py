"""Sending simulated events to Kafka: topics created when missing, one batched producer, keyed by store."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from infra.settings import Settings


class EventPublisher:
    """A KafkaProducer tuned for throughput; each store's events go to one partition, in order."""

    def __init__(self, settings: Settings, store_ids: Iterable[str]):
        from kafka import KafkaProducer

        self.producer = KafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            client_id="shelfwise-simulator",
            acks=1,
            linger_ms=20,
            batch_size=512 * 1024,
            buffer_memory=128 * 2**20,
            max_request_size=4 * 2**20,
            compression_type="lz4",
            # One request in flight per connection keeps per-partition order even when a batch is retried.
            max_in_flight_requests_per_connection=1,
            retries=5,
        )
        self.keys = [s.encode() for s in store_ids]
        self._partitions: dict[str, list[int]] = {}

    def send(self, topic: str, store: np.ndarray, values: list[bytes]) -> None:
        """Send one topic's events; `store[i]` is the index of the store that emitted `values[i]`."""
        partition_of = self._partition_map(topic)
        send, keys = self.producer.send, self.keys
        for index, value in zip(store.tolist(), values, strict=True):
            send(topic, value=value, key=keys[index], partition=partition_of[index])

    def send_raw(self, topic: str, key: bytes | None, value: bytes) -> None:
        """Send one message as is (used to inject malformed events)."""
        self.producer.send(topic, value=value, key=key)

    def _partition_map(self, topic: str) -> list[int]:
        """The default partitioner's choice (murmur2 of the key) per store, computed once per topic."""
        if topic not in self._partitions:
            from kafka.partitioner.default import murmur2

            count = len(self.producer.partitions_for(topic))
            self._partitions[topic] = [(murmur2(key) & 0x7FFFFFFF) % count for key in self.keys]
        return self._partitions[topic]

    def close(self) -> None:
        self.producer.flush()
        self.producer.close()
