"""What a suite validates: the partition just built, read from the lake, plus the columns and numbers its
expectations need that the data does not carry itself (is this SKU known? what did the snapshot sell on D-1?).

A suite file names these in its `meta.shelfwise` block; every kind below is generic, so a new check is a
new line in a suite file, not new code. Frames are small (one day of one asset), read with pandas/pyarrow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from infra.lake import lake_fs, lake_path, published_days

if TYPE_CHECKING:
    from spark.context import JobContext

UNPARTITIONED = ""
PARTITION = "_partition"  # the column naming each row's partition when partitions are validated together
_REFERENCES: ContextVar[dict[str, pd.DataFrame] | None] = ContextVar("gate_references", default=None)


@dataclass
class Partition:
    """One partition ready for validation: its rows and the numbers its expectations refer to."""

    key: str
    frame: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


def prepare(ctx: JobContext, config: dict, key: str) -> Partition:
    """Read partition `key` of ctx.asset as the suite's `source` says, with its `params`."""
    frame = _read_source(ctx, config.get("source", {"kind": "lake_partition"}), key)
    params: dict[str, Any] = {}
    for name, option in config.get("params", {}).items():
        params.update(PARAMS[option["kind"]](ctx, key, name, option))
    return Partition(key, frame, params)


def stack_frame(ctx: JobContext, config: dict, partitions: list[Partition]) -> pd.DataFrame:
    """The partitions' rows in one frame (a fresh 0..n-1 index), each labelled with its partition in
    PARTITION, plus the suite's `derive` columns, computed once over them all."""
    frame = pd.concat([p.frame.assign(**{PARTITION: p.key}) for p in partitions], ignore_index=True)
    for step in config.get("derive", []):
        frame[step["as"]] = DERIVATIONS[_kind(step, DERIVATIONS)](ctx, frame, step)
    return frame


def resolve(value: Any, params: dict[str, Any]) -> Any:
    """Replace every {"$param": name} inside a suite's kwargs with the partition's number."""
    if isinstance(value, dict) and set(value) == {"$param"}:
        return params[value["$param"]]
    if isinstance(value, dict):
        return {k: resolve(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, params) for v in value]
    return value


# --- reading ----------------------------------------------------------------------------------------------


def read_lake_partition(ctx: JobContext, relative: str, key: str) -> pd.DataFrame:
    """One `date=` partition (or the whole dataset when unpartitioned) as pandas, with a `date` column."""
    fs = lake_fs(ctx.settings)
    path = lake_path(ctx.settings, relative) + (f"/date={key}" if key else "")
    if not fs.exists(path):
        raise FileNotFoundError(f"{ctx.asset.name}: no data at {path} for partition {key or '(all)'}")
    frame = pd.read_parquet(path, filesystem=fs)
    if key:
        frame["date"] = pd.Timestamp(key)
    return frame


@contextmanager
def references_read_once() -> Iterator[None]:
    """Within the block each reference dimension is read once (a gate prepares hundreds of partitions)."""
    token = _REFERENCES.set({})
    try:
        yield
    finally:
        _REFERENCES.reset(token)


def read_reference(ctx: JobContext, name: str) -> pd.DataFrame:
    """A reference dimension the asset declares (as_of_build); only active rows if it has an `active` flag."""
    read = _REFERENCES.get()
    if read is not None and name in read:
        return read[name]
    fs = lake_fs(ctx.settings)
    frame = pd.read_parquet(lake_path(ctx.settings, ctx.location(name)), filesystem=fs)
    frame = frame[frame["active"].astype(bool)] if "active" in frame.columns else frame
    if read is not None:
        read[name] = frame
    return frame


def _read_source(ctx: JobContext, source: dict, key: str) -> pd.DataFrame:
    if source["kind"] == "lake_partition":  # what this build wrote: staged, not yet visible to readers
        return read_lake_partition(ctx, ctx.output, key)
    if source["kind"] == "registry_documents":
        return _registry_row(ctx, key, source)
    raise ValueError(f"unknown suite source kind {source['kind']!r}")


def _registry_row(ctx: JobContext, key: str, source: dict) -> pd.DataFrame:
    """JSON documents of the asset's registry folder as one row; a document or field it lacks is null.

    `documents` are read in order; a path may name the partition ({key}) or a field of an earlier document
    ({week.champion}). `columns` map each column to dotted paths into the documents, first found wins.
    """
    fs, root, documents = lake_fs(ctx.settings), lake_path(ctx.settings, ctx.asset.storage.path), {}
    for name, template in source["documents"].items():
        relative = _fill(template, key, documents)
        path = f"{root}/{relative}" if relative else None
        documents[name] = json.loads(fs.cat_file(path)) if path and fs.exists(path) else None
    row = {column: _first_path(documents, paths) for column, paths in source["columns"].items()}
    return pd.DataFrame([row], dtype=object)


def _fill(template: str, key: str, documents: dict) -> str | None:
    """'{key}' is the partition key; '{doc.field}' a value read before. None when a value is missing."""
    def value(match: re.Match) -> str:
        found = key if match[1] == "key" else _first_path(documents, [match[1]])
        if found is None:
            raise LookupError(match[1])
        return str(found)

    try:
        return re.sub(r"\{([\w.]+)\}", value, template)
    except LookupError:
        return None


def _first_path(data: dict, paths: list[str]) -> Any:
    for path in paths:
        node: Any = data
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return node
    return None


# --- derived columns --------------------------------------------------------------------------------------


def _kind(step: dict, registry: dict) -> str:
    kinds = [k for k in registry if k in step]
    if len(kinds) != 1:
        raise ValueError(f"derive step {step} needs exactly one of {sorted(registry)}")
    return kinds[0]


def _eval(ctx, frame: pd.DataFrame, step: dict) -> pd.Series:
    """A pandas expression over the row's columns, e.g. the ledger gap."""
    return frame.eval(step["eval"])


def _hours_into_day(ctx, frame: pd.DataFrame, step: dict) -> pd.Series:
    """Hours from the partition day's midnight (UTC) to a timestamp column: 0..24 inside the day."""
    ts = pd.to_datetime(frame[step["hours_into_day"]])
    ts = ts.dt.tz_convert("UTC").dt.tz_localize(None) if ts.dt.tz is not None else ts
    return (ts - pd.to_datetime(frame[PARTITION])).dt.total_seconds() / 3600.0


def _known(ctx, frame: pd.DataFrame, step: dict) -> pd.Series:
    """Whether the column's value exists in a reference dimension ("stores.store_id")."""
    dimension, column = step["known"].split(".")
    return frame[step["column"]].isin(set(read_reference(ctx, dimension)[column]))


def _lookup(ctx, frame: pd.DataFrame, step: dict) -> pd.Series:
    """A reference attribute by key, unless the frame already carries it (e.g. case_pack)."""
    if step["as"] in frame.columns:
        return frame[step["as"]]
    dimension, column = step["lookup"].split(".")
    reference = read_reference(ctx, dimension).set_index(step["on"])[column]
    return frame[step["on"]].map(reference)


def _previous_day(ctx, frame: pd.DataFrame, step: dict) -> pd.Series:
    """The value an upstream asset holds for the same series `days` days earlier (null if not built)."""
    asset, column = step["previous_day"].split(".")
    on, earlier = step["on"], []
    for key in frame[PARTITION].unique():
        day = (date.fromisoformat(key) - timedelta(days=step.get("days", 1))).isoformat()
        try:
            before = read_lake_partition(ctx, ctx.location(asset), day)
        except FileNotFoundError:
            continue
        earlier.append(before[[*on, column]].assign(**{PARTITION: key}))
    if not earlier:
        return pd.Series(np.nan, index=frame.index)
    values = pd.concat(earlier).set_index([PARTITION, *on])[column]
    found = pd.MultiIndex.from_frame(frame[[PARTITION, *on]]).map(values)
    return pd.Series(found, index=frame.index).astype(float)


def _flagged_key(ctx, frame: pd.DataFrame, step: dict) -> pd.Series:
    """A key column's value on the first flagged row of each key in a partition, null elsewhere: a store-level
    flag on a store x SKU frame then fails once per store and day, and the failure lists the stores."""
    flagged = frame[frame[step["where"]].astype(bool)]
    first = flagged.index[~flagged.duplicated([PARTITION, step["flagged_key"]])]
    keys = pd.Series(None, index=frame.index, dtype=object)
    keys.loc[first] = frame.loc[first, step["flagged_key"]]
    return keys


DERIVATIONS = {
    "eval": _eval,
    "flagged_key": _flagged_key,
    "hours_into_day": _hours_into_day,
    "known": _known,
    "lookup": _lookup,
    "previous_day": _previous_day,
}


# --- numbers the expectations compare with ----------------------------------------------------------------


def _active_pairs(ctx, key: str, name: str, option: dict) -> dict[str, int]:
    """How many store x SKU pairs the chain carries: one row each is expected."""
    return {name: len(read_reference(ctx, "stores")) * len(read_reference(ctx, "products"))}


def _weekday_row_band(ctx, key: str, name: str, option: dict) -> dict[str, float | None]:
    """min/max row count: the mean of the same weekday over the trailing `weeks` weeks, +- `tolerance`."""
    fs, folders = lake_fs(ctx.settings), published_days(ctx.settings, ctx.asset.storage.path)
    day, counts = date.fromisoformat(key), []
    for week in range(1, option.get("weeks", 4) + 1):
        folder = folders.get((day - timedelta(days=7 * week)).isoformat())
        if folder:
            counts.append(len(pd.read_parquet(lake_path(ctx.settings, folder), filesystem=fs, columns=[])))
    if not counts:  # no history yet: nothing to compare with
        return {f"{name}_min": 0, f"{name}_max": None}
    mean, tolerance = float(np.mean(counts)), option.get("tolerance", 0.5)
    return {f"{name}_min": round(mean * (1 - tolerance)), f"{name}_max": round(mean * (1 + tolerance))}


PARAMS = {"active_pairs": _active_pairs, "weekday_row_band": _weekday_row_band}
