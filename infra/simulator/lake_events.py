"""Simulated (or replayed) POS events written straight into the raw lake assets, without Kafka.

For benchmarks and fixtures that need years of raw history fast: the events are the very JSON messages the
simulator would publish, parsed with the RAW_* contracts, and land exactly where and how the ingest job
puts them (`raw/<asset>/date=YYYY-MM-DD/`, plus kafka_partition / kafka_offset, and the `_partitions.json`
index with the ingest's content-derived day versions).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq

from infra.lake import lake_fs, lake_path, read_partition_versions, write_partition_versions
from infra.settings import Settings
from infra.simulator.events import EncodedDay
from spark.schemas import RAW_SCHEMAS, TOPICS, arrow_schema

RAW_PATHS = {
    "raw_sales": "raw/sales",
    "raw_receipts": "raw/receipts",
    "raw_inventory_updates": "raw/inventory_updates",
    "raw_price_changes": "raw/price_changes",
    "raw_purchase_orders": "raw/purchase_orders",
}


def write_raw_events(settings: Settings, days: Iterable[EncodedDay]) -> dict[str, dict[str, str]]:
    """Write every day's events into the raw assets' day partitions; returns {asset: {day: version}}.

    Each raw asset's version index is replaced with the days it now holds (older days kept), written last.
    """
    versions = {asset: read_partition_versions(settings, path) for asset, path in RAW_PATHS.items()}
    offsets = dict.fromkeys(RAW_PATHS, 0)
    for day in days:
        for topic, (_, values) in day.messages.items():
            if not values:  # no event of this kind that day: no partition, as with the ingest
                continue
            asset = TOPICS[topic]
            table = _parse(asset, values, offsets[asset])
            offsets[asset] += len(values)
            versions[asset][day.day] = _write_day(settings, asset, day.day, table)
    for asset, path in RAW_PATHS.items():
        write_partition_versions(settings, path, versions[asset])
    return versions


def day_version(event_ids: list[str]) -> str:
    """The ingest's data version of a day: row count and a hash of its sorted event ids."""
    digest = hashlib.sha256(",".join(sorted(event_ids)).encode()).hexdigest()[:16]
    return f"n{len(event_ids)}-{digest}"


def _parse(asset: str, values: list[bytes], first_offset: int):
    schema = arrow_schema(RAW_SCHEMAS[asset])
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
    table = pj.read_json(io.BytesIO(b"\n".join(values)), parse_options=options)
    offsets = pa.array(range(first_offset, first_offset + len(values)), pa.int64())
    return table.append_column("kafka_partition", pa.array([0] * len(values), pa.int32())).append_column(
        "kafka_offset", offsets
    )


def _write_day(settings: Settings, asset: str, day: str, table) -> str:
    """Replace one day partition; every event must fall on that day (the simulator stamps within it)."""
    dates = pc.unique(pc.strftime(table["ts"], format="%Y-%m-%d")).to_pylist()
    if dates != [day]:
        raise ValueError(f"{asset}: events of {day} carry timestamps on {sorted(dates)}")
    fs, folder = lake_fs(settings), lake_path(settings, f"{RAW_PATHS[asset]}/date={day}")
    if fs.exists(folder):
        fs.rm(folder, recursive=True)
    fs.makedirs(folder, exist_ok=True)
    pq.write_table(table, f"{folder}/part-0.parquet", filesystem=fs)
    return day_version(table["event_id"].to_pylist())
