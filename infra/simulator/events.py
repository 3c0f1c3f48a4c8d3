"""A day's events as column arrays, and their JSON encoding (one Kafka message per event, keyed by store).

Encoding is a format string per topic applied to zipped lists: several times faster than json.dumps per dict,
and the field names and types are those of spark/schemas.py's RAW_* contracts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TEMPLATES = {
    "sales-transactions": (
        '{"event_id":"%s","kind":"%s","basket_id":"%s","store_id":"%s","terminal_id":"%s","sku":"%s",'
        '"quantity":%d,"unit_price":%.2f,"discount":%.2f,"ts":"%sZ"}'
    ),
    "supplier-shipments": (
        '{"event_id":"%s","store_id":"%s","sku":"%s","supplier_id":"%s","po_id":"%s","quantity":%d,'
        '"unit_cost":%.2f,"ts":"%sZ"}'
    ),
    "inventory-updates": (
        '{"event_id":"%s","kind":"%s","store_id":"%s","sku":"%s","quantity":%d,"reason":"%s","ts":"%sZ"}'
    ),
    "price-changes": '{"event_id":"%s","store_id":"%s","sku":"%s","price":%.2f,"promo":%s,"ts":"%sZ"}',
    "purchase-orders": (
        '{"event_id":"%s","kind":"%s","po_id":"%s","store_id":"%s","sku":"%s","supplier_id":"%s",'
        '"quantity":%d,"expected_arrival":"%sZ","ts":"%sZ"}'
    ),
}
FIELDS = {
    "sales-transactions": (
        "event_id", "kind", "basket_id", "store_id", "terminal_id", "sku", "quantity", "unit_price",
        "discount", "ts",
    ),
    "supplier-shipments": (
        "event_id", "store_id", "sku", "supplier_id", "po_id", "quantity", "unit_cost", "ts",
    ),
    "inventory-updates": ("event_id", "kind", "store_id", "sku", "quantity", "reason", "ts"),
    "price-changes": ("event_id", "store_id", "sku", "price", "promo", "ts"),
    "purchase-orders": (
        "event_id", "kind", "po_id", "store_id", "sku", "supplier_id", "quantity", "expected_arrival", "ts",
    ),
}  # fmt: skip
ID_PREFIX = {
    "sales-transactions": "sa",
    "supplier-shipments": "rc",
    "inventory-updates": "iu",
    "price-changes": "pc",
    "purchase-orders": "po",
}


@dataclass
class TopicBatch:
    """One topic's events of one day: store index per event, epoch seconds, and the other columns."""

    store: np.ndarray
    ts: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.store)


@dataclass
class EncodedDay:
    """A day of events ready to send: per topic, the store index (the key) and the JSON bytes."""

    day: str
    messages: dict[str, tuple[np.ndarray, list[bytes]]]

    @property
    def count(self) -> int:
        return sum(len(values) for _, values in self.messages.values())


def encode_day(day: str, seed: int, batches: dict[str, TopicBatch], store_ids: np.ndarray) -> EncodedDay:
    """Sort each topic's events by (store, time), give them deterministic ids and render them as JSON."""
    messages = {}
    stamp = day.replace("-", "")
    for topic, batch in batches.items():
        if not len(batch):  # nothing of this kind today (an empty concat carries no columns)
            continue
        order = np.lexsort((batch.ts, batch.store))
        store = batch.store[order]
        ids = [f"{ID_PREFIX[topic]}-{seed}-{stamp}-{i:07d}" for i in range(len(order))]
        values = {"event_id": ids, "store_id": store_ids[store].tolist(), "ts": iso_seconds(batch.ts[order])}
        for name, column in batch.columns.items():
            values[name] = column[order].tolist()
        rows = zip(*(values[name] for name in FIELDS[topic]), strict=True)
        template = TEMPLATES[topic]
        messages[topic] = (store, [(template % row).encode() for row in rows])
    return EncodedDay(day, messages)


def iso_seconds(epoch_seconds: np.ndarray) -> list[str]:
    """Epoch seconds as ISO-8601 UTC texts without the zone letter (the templates add `Z`)."""
    return np.datetime_as_string(epoch_seconds.astype("datetime64[s]"), unit="s").tolist()


def concat(parts: list[TopicBatch]) -> TopicBatch:
    """Several partial batches of the same topic as one."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return TopicBatch(np.zeros(0, np.int64), np.zeros(0, np.int64), {})
    names = parts[0].columns
    return TopicBatch(
        np.concatenate([p.store for p in parts]),
        np.concatenate([p.ts for p in parts]),
        {n: np.concatenate([p.columns[n] for p in parts]) for n in names},
    )
