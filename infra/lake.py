"""The data lake: one filesystem (local directory or S3/MinIO) addressed by paths relative to its root."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from infra.settings import Settings

PARTITION_VERSIONS = "_partitions.json"
# Where a build writes before its gate. The leading '_' hides it from Spark's and pyarrow's listings of the
# asset's folder, so no reader sees a partition its gate has not passed.
STAGING = "_staging"


def lake_fs(settings: Settings) -> Any:
    """An fsspec filesystem for the lake (s3fs for s3://, the local filesystem otherwise)."""
    if settings.lake_kind == "s3":
        import s3fs

        return s3fs.S3FileSystem(
            key=settings.s3_access_key,
            secret=settings.s3_secret,
            client_kwargs={"endpoint_url": settings.s3_endpoint},
        )
    from fsspec.implementations.local import LocalFileSystem

    return LocalFileSystem(auto_mkdir=True)


def lake_path(settings: Settings, relative: str = "") -> str:
    """A path fsspec understands: '/abs/dir/…' for file, 'bucket/prefix/…' for s3."""
    root = settings.lake.removeprefix("file://").removeprefix("s3://")
    return f"{root}/{relative.strip('/')}" if relative else root


def lake_url(settings: Settings, relative: str = "") -> str:
    """The canonical URL of a lake location (also an Airflow Asset URI)."""
    return f"{settings.lake}/{relative.strip('/')}" if relative else settings.lake


def spark_url(settings: Settings, relative: str = "") -> str:
    """The same location as Spark's Hadoop filesystems name it (s3a:// for S3)."""
    url = lake_url(settings, relative)
    return "s3a://" + url.removeprefix("s3://") if url.startswith("s3://") else url


def read_partition_versions(settings: Settings, relative: str) -> dict[str, str]:
    """The {partition: data_version} index a source job keeps beside its partitions (one small read)."""
    fs, path = lake_fs(settings), f"{lake_path(settings, relative)}/{PARTITION_VERSIONS}"
    if not fs.exists(path):
        return {}
    with fs.open(path, "r") as handle:
        return json.load(handle)


def write_partition_versions(settings: Settings, relative: str, versions: dict[str, str]) -> None:
    """Replace the index; written last, after the partitions themselves, so it never names missing data."""
    fs, path = lake_fs(settings), f"{lake_path(settings, relative)}/{PARTITION_VERSIONS}"
    fs.makedirs(lake_path(settings, relative), exist_ok=True)
    tmp = path + ".tmp"
    with fs.open(tmp, "w") as handle:
        json.dump(dict(sorted(versions.items())), handle, indent=0)
    fs.mv(tmp, path)


# --- write, audit, publish ----------------------------------------------------------------------------------


def run_slug(run_id: str) -> str:
    """A run id as a file name (Airflow's carry ':' and '+'); the digest keeps ids differing there apart."""
    return re.sub(r"[^\w.\-]", "_", run_id) + "-" + hashlib.sha256(run_id.encode()).hexdigest()[:8]


def staging_path(relative: str, run_id: str) -> str:
    """The lake-relative folder a run of the asset at `relative` writes its `date=` partitions to."""
    return f"{relative}/{STAGING}/{run_slug(run_id)}"


def promote(settings: Settings, relative: str, run_id: str, keys: list[str] | tuple[str, ...]) -> list[str]:
    """Publish the staged partitions `keys` of a run: each replaces the asset's partition of that day, then
    the run's staging folder (holding the partitions its gate rejected, if any) is removed; the days moved.

    A partition no longer staged was moved by an earlier attempt of the same publish (a retried task) and is
    left as it is. The swap of one day is two renames on a file lake; on S3 the old day is moved aside and the
    new one copied in, so a reader listing that very day in between finds it missing, never half of each.
    """
    if "" in keys:
        raise ValueError(f"{relative}: only day- or week-partitioned builds are staged, not unpartitioned")
    fs, staged = lake_fs(settings), lake_path(settings, staging_path(relative, run_id))
    moved = []
    for key in keys:
        source, target = f"{staged}/date={key}", lake_path(settings, f"{relative}/date={key}")
        if not fs.exists(source):
            continue
        if fs.exists(target):
            _move_folder(settings, fs, target, f"{staged}/replaced/date={key}")
        _move_folder(settings, fs, source, target)
        moved.append(key)
    discard_staged(settings, relative, run_id)
    return moved


def _move_folder(settings: Settings, fs: Any, source: str, target: str) -> None:
    """One rename on a file lake; on S3, which has no folders, each object copied then deleted."""
    if settings.lake_kind != "s3":
        fs.mv(source, target)
        return
    for path in fs.find(source):
        fs.mv(path, target + path[len(source) :])


def discard_staged(settings: Settings, relative: str, run_id: str) -> None:
    """Remove what a run staged and did not publish (a failed or wholly rejected run)."""
    fs, staged = lake_fs(settings), lake_path(settings, staging_path(relative, run_id))
    if fs.exists(staged):
        fs.rm(staged, recursive=True)
