"""The reference dimensions' job: the systems that own the master data write each table whole into its lake
folder, so "ingesting" one is observing it. Its version is a hash of its files' contents (a rewrite with the
same rows keeps the version; any change makes a new one), kept in the folder's partition index like a
source's days."""

from __future__ import annotations

import hashlib

import pyarrow.parquet as pq

from infra.lake import lake_fs, lake_path, write_partition_versions
from spark.context import JobContext, JobResult

WHOLE = ""  # the one partition of an unpartitioned asset


def observe_reference(ctx: JobContext) -> JobResult:
    """The version and row count of the table in ctx.asset's folder; a missing or empty folder is an error
    naming it (every job reading the dimension would fail later, less clearly)."""
    fs, folder = lake_fs(ctx.settings), lake_path(ctx.settings, ctx.asset.storage.path)
    files = sorted(p for p in fs.find(folder) if p.endswith(".parquet") and "/_" not in p[len(folder):])
    if not files:
        raise FileNotFoundError(f"{ctx.asset.name}: no parquet files in {folder} (its data feed writes them)")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path[len(folder):].encode() + b"\0" + fs.cat_file(path))
    version = digest.hexdigest()[:16]
    rows = pq.read_table(folder, filesystem=fs).num_rows
    write_partition_versions(ctx.settings, ctx.asset.storage.path, {WHOLE: version})
    return JobResult(rows, partition_versions={WHOLE: version}, rows_by_partition={WHOLE: rows})
