"""Malformed POS events, one family per quarantine reason: what a broken till or integration would send.

Used by the ingest tests to check that each lands in quarantine with the
right reason code. Each fault is (topic, key, payload bytes, expected reason).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

SALES = "sales-transactions"


def sale(event_id: str, store: str, sku: str, ts: datetime, **changes) -> dict:
    """A valid sale line; `changes` override fields (a value of ... removes the field)."""
    event = {
        "event_id": event_id, "kind": "sale", "basket_id": f"{store}-X-{event_id}", "store_id": store,
        "terminal_id": f"{store}-T1", "sku": sku, "quantity": 2, "unit_price": 3.5, "discount": 0.0,
        "ts": ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }  # fmt: skip
    event.update(changes)
    return {k: v for k, v in event.items() if v is not ...}


def malformed(store: str, sku: str, ts: datetime, copies: int = 3) -> list[tuple[str, bytes, bytes, str]]:
    """`copies` faults of every kind, with event ids `bad-<reason>-<n>`; ts is a valid business time."""
    faults = []
    for n in range(copies):
        for reason, payload in _kinds(store, sku, ts, n).items():
            faults.append((SALES, store.encode(), payload, reason))
    return faults


def _kinds(store: str, sku: str, ts: datetime, n: int) -> dict[str, bytes]:
    def event(reason: str, **changes) -> bytes:
        document = {**sale(f"bad-{reason}-{n}", store, sku, ts), **changes}
        return json.dumps({k: v for k, v in document.items() if v is not ...}).encode()

    now = datetime.now(UTC)
    return {
        "unparseable_json": b'{"event_id": "bad-json-%d", "kind": "sale", ' % n,
        "not_an_object": b"[1, 2, %d]" % n,
        "missing_field": event("missing", sku=...),
        "wrong_type": event("type", quantity="two"),
        "unknown_kind": event("kind", kind="refund"),
        "quantity_not_positive": event("zero", quantity=0),
        "absurd_quantity": event("absurd", quantity=50_000),
        "bad_price": event("price", unit_price=-1.25),
        "bad_discount": event("discount", discount=-3.0),
        "bad_timestamp": event("ts", ts="yesterday at noon"),
        "future_timestamp": event("future", ts=(now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")),
        "expired_timestamp": event("old", ts="2001-01-01T10:00:00Z"),
        "unknown_store": event("store", store_id="S999"),
        "unknown_sku": event("sku", sku="SKU-NOPE"),
        "oversized_payload": event("big", note="x" * 5000),
    }


def conflicting_duplicate(event_id: str, store: str, sku: str, ts: datetime) -> tuple[bytes, bytes]:
    """Two events with the same id and different content: the second must be quarantined."""
    first = json.dumps(sale(event_id, store, sku, ts)).encode()
    second = json.dumps(sale(event_id, store, sku, ts, quantity=7)).encode()
    return first, second
