"""Parsing and validation rules for POS events: pure Python, no Spark, never raises on bad input.

`classify` turns one Kafka message value into either a typed row (the RAW_* columns of spark/schemas.py) or
a reason code with a detail. The ingest job checks the same rules on whole Arrow columns first
(spark/jobs/event_batches.py) and hands `classify` every record that path does not accept.

Only JSON that every reader reads the same way is accepted (docs/ingestion.md): UTF-8 without a BOM, no key
twice in an object, no lone surrogate escape, at most MAX_DEPTH levels deep, no NaN or Infinity. Python's
json, Arrow's reader and Spark's Jackson each resolve those differently (last key wins, an error, U+FFFD, a
recursion limit that depends on the caller's stack), so they are quarantined as `ambiguous_json`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from spark.contracts import LIMITS, limit
from spark.schemas import RAW_SCHEMAS, TOPICS

MAX_PAYLOAD_BYTES = 4096
CLOCK_SKEW = timedelta(minutes=5)  # a till's clock may run a little ahead

OVERSIZED = "oversized_payload"
UNPARSEABLE = "unparseable_json"
NOT_AN_OBJECT = "not_an_object"
MISSING_FIELD = "missing_field"
WRONG_TYPE = "wrong_type"
UNKNOWN_KIND = "unknown_kind"
QUANTITY_NOT_POSITIVE = "quantity_not_positive"
ABSURD_QUANTITY = "absurd_quantity"
BAD_PRICE = "bad_price"
BAD_DISCOUNT = "bad_discount"
BAD_TIMESTAMP = "bad_timestamp"
FUTURE_TIMESTAMP = "future_timestamp"
EXPIRED_TIMESTAMP = "expired_timestamp"
UNKNOWN_STORE = "unknown_store"
UNKNOWN_SKU = "unknown_sku"
AMBIGUOUS = "ambiguous_json"  # well-formed, but JSON readers disagree on what it says
UNREPRESENTABLE = "unrepresentable"  # passed the rules, yet its values do not convert to the Arrow types
DUPLICATE_CONFLICT = "duplicate_conflict"  # decided by the job, against rows already seen
REASONS = (
    OVERSIZED, UNPARSEABLE, NOT_AN_OBJECT, MISSING_FIELD, WRONG_TYPE, UNKNOWN_KIND, QUANTITY_NOT_POSITIVE,
    ABSURD_QUANTITY, BAD_PRICE, BAD_DISCOUNT, BAD_TIMESTAMP, FUTURE_TIMESTAMP, EXPIRED_TIMESTAMP,
    UNKNOWN_STORE, UNKNOWN_SKU, AMBIGUOUS, UNREPRESENTABLE, DUPLICATE_CONFLICT,
)  # fmt: skip
MAX_DEPTH = 32  # nesting levels; an event is flat, and Python's own limit moves with the caller's stack

KINDS = {
    "raw_sales": ("sale", "return"),
    "raw_inventory_updates": ("count", "adjustment"),
    "raw_purchase_orders": ("placed", "cancelled"),
}
# (smallest allowed, largest allowed) quantity per asset and kind, as spark/contracts.py's LIMITS declare
QUANTITY_RANGE = {
    (asset if lim.kind is None else (asset, lim.kind)): (lim.low, lim.high)
    for asset, limits in LIMITS.items() for lim in limits if lim.column == "quantity"
}
PRICE_FIELDS = ("unit_price", "unit_cost", "price")


@dataclass(frozen=True)
class Rules:
    """What a valid event must match: known stores and SKUs, and the accepted time window."""

    stores: frozenset[str]
    skus: frozenset[str]
    now: datetime
    retention_days: int

    @property
    def oldest(self) -> datetime:
        return self.now - timedelta(days=self.retention_days)


@dataclass(frozen=True)
class Verdict:
    """A typed row when the event is good, else a reason code (one of REASONS) and a detail."""

    row: dict | None
    reason: str | None = None
    detail: str = ""


class _Bad(Exception):
    def __init__(self, reason: str, detail: str):
        self.reason, self.detail = reason, detail


def classify(topic: str, payload: bytes | str | None, rules: Rules, appended: datetime | None = None
             ) -> Verdict:  # fmt: skip
    """Parse and validate one message value of `topic`; never raises. `appended`: when the broker took the
    record; its time stamp is judged against that instant (a rerun judges it alike), else rules.now."""
    try:
        if appended is not None:
            rules = replace(rules, now=appended)
        return Verdict(_parse(TOPICS[topic], payload, rules))
    except _Bad as bad:
        return Verdict(None, bad.reason, bad.detail[:500])
    except Exception as error:  # a rule with a gap must not lose the event: quarantine it, say why
        return Verdict(None, UNREPRESENTABLE, f"{type(error).__name__}: {error}"[:500])


def readable(payload: bytes | str | None) -> bool:
    """Whether `payload` is one JSON object that every reader reads the same way (classify's first step)."""
    try:
        _document(payload)
    except Exception:  # noqa: BLE001 - _Bad or a gap: either way not safe to read
        return False
    return True


def _parse(asset: str, payload: bytes | str | None, rules: Rules) -> dict:
    document = _document(payload)
    row = {name: _typed(name, kind, document.get(name)) for name, kind in RAW_SCHEMAS[asset]}
    kind = row.get("kind")
    if asset in KINDS and kind not in KINDS[asset]:
        raise _Bad(UNKNOWN_KIND, f"kind {kind!r} not in {KINDS[asset]}")
    if "quantity" in row:
        _check_quantity(asset, kind, row["quantity"])
    _check_money(asset, row)
    _check_time(row["ts"], rules)
    if row["store_id"] not in rules.stores:
        raise _Bad(UNKNOWN_STORE, f"store_id {row['store_id']!r} is not in reference/stores")
    if row["sku"] not in rules.skus:
        raise _Bad(UNKNOWN_SKU, f"sku {row['sku']!r} is not in reference/products")
    return row


def _document(payload: bytes | str | None) -> dict:
    if payload is None:
        raise _Bad(UNPARSEABLE, "empty message value")
    raw = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else payload
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise _Bad(OVERSIZED, f"{len(raw)} bytes > {MAX_PAYLOAD_BYTES}")
    try:
        text = raw.decode("utf-8")  # strictly: no UTF-16/32, no encoded surrogates, no overlong forms
    except UnicodeDecodeError as error:
        raise _Bad(UNPARSEABLE, f"not UTF-8: {error}") from None
    if text.startswith("\ufeff"):
        raise _Bad(UNPARSEABLE, "starts with a UTF-8 byte order mark")
    _check_depth(text)
    try:
        document = _DECODER.decode(text)
    except (ValueError, RecursionError) as error:
        raise _Bad(UNPARSEABLE, str(error)) from None
    if _SURROGATE_ESCAPE.search(text):
        _check_no_lone_surrogate(document)
    if not isinstance(document, dict):
        raise _Bad(NOT_AN_OBJECT, f"a JSON {type(document).__name__}, not an object")
    return document


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _no_repeated_key(pairs: list) -> dict:
    document = dict(pairs)
    if len(document) < len(pairs):
        repeated = next(key for n, (key, _) in enumerate(pairs) if key in dict(pairs[:n]))
        raise _Bad(AMBIGUOUS, f"key {repeated[:40]!r} occurs twice in one object (readers keep either one)")
    return document


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH (counted outside strings; cheap unless brackets abound)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub('""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise _Bad(AMBIGUOUS, f"nested {deepest} levels deep (more than {MAX_DEPTH})")


def _check_no_lone_surrogate(document) -> None:
    """A \\uD800-\\uDFFF escape without its pair decodes to no character: Arrow refuses it, others guess."""
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        raise _Bad(AMBIGUOUS, f"a lone surrogate escape ({error.reason})") from None


_DECODER = json.JSONDecoder(parse_constant=_no_constant, object_pairs_hook=_no_repeated_key)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def _typed(name: str, kind: str, value):
    if value is None:
        raise _Bad(MISSING_FIELD, f"{name} is missing or null")
    if kind == "string":
        ok = isinstance(value, str) and value.strip() != ""
    elif kind == "int":
        ok = type(value) is int and -(2**31) <= value < 2**31
    elif kind == "double":
        ok = type(value) in (int, float) and math.isfinite(value) and abs(value) < 1e12
        value = float(value) + 0.0 if ok else value  # + 0.0: a negative zero is stored as zero
    elif kind == "boolean":
        ok = type(value) is bool
    else:  # timestamp
        return _timestamp(name, value)
    if not ok:
        raise _Bad(WRONG_TYPE, f"{name} should be {kind}, got {_show(value)}")
    return value


def _timestamp(name: str, value) -> datetime:
    if not isinstance(value, str):
        raise _Bad(WRONG_TYPE, f"{name} should be an ISO-8601 string, got {_show(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(BAD_TIMESTAMP, f"{name} {value[:40]!r} is not ISO-8601") from None
    if parsed.tzinfo is None:
        raise _Bad(BAD_TIMESTAMP, f"{name} {value[:40]!r} has no time zone")
    try:
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise _Bad(BAD_TIMESTAMP, f"{name} {value[:40]!r} is out of range") from None


def _show(value) -> str:
    return f"{type(value).__name__} {json.dumps(value)[:40]}"


def _check_quantity(asset: str, kind: str | None, quantity: int) -> None:
    allowed = limit(asset, "quantity", kind)
    if allowed.holds(quantity):
        return
    if quantity > allowed.high:
        raise _Bad(ABSURD_QUANTITY, f"quantity {quantity} above {allowed.high}")
    raise _Bad(QUANTITY_NOT_POSITIVE, f"quantity {quantity} not allowed ({_range(allowed)})")


def _check_money(asset: str, row: dict) -> None:
    for name in (*PRICE_FIELDS, "discount"):
        allowed = limit(asset, name) if name in row else None
        if allowed is not None and not allowed.holds(row[name]):
            reason = BAD_DISCOUNT if name == "discount" else BAD_PRICE
            raise _Bad(reason, f"{name} {row[name]} not allowed ({_range(allowed)})")
    if "discount" in row:
        line_value = row["unit_price"] * row["quantity"]
        if row["discount"] > line_value + 1e-9:
            raise _Bad(BAD_DISCOUNT, f"discount {row['discount']} above the line's value {line_value:.2f}")


def _range(allowed) -> str:
    low = f"above {allowed.low:g}" if allowed.above_low else f"at least {allowed.low:g}"
    high = f", at most {allowed.high:g}" if allowed.high is not None else ""
    return low + high + (", never 0" if allowed.nonzero else "")


def _check_time(ts: datetime, rules: Rules) -> None:
    now = rules.now.astimezone(UTC).replace(tzinfo=None)
    if ts > now + CLOCK_SKEW:
        raise _Bad(
            FUTURE_TIMESTAMP, f"ts {ts.isoformat()}Z is after now {now.isoformat(timespec='seconds')}Z"
        )
    if ts < now - timedelta(days=rules.retention_days):
        raise _Bad(EXPIRED_TIMESTAMP, f"ts {ts.isoformat()}Z is older than {rules.retention_days} days")


# Verdict columns next to the event's own (inventory updates have a `reason` field of their own).
PAYLOAD, REASON, DETAIL = "_payload", "_reason", "_detail"
