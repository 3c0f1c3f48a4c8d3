"""The data lake: one filesystem (local directory or S3/MinIO) addressed by paths relative to its root."""

from __future__ import annotations

import json
from typing import Any

from infra.settings import Settings

PARTITION_VERSIONS = "_partitions.json"


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
