"""The data lake: one filesystem (local directory or S3/MinIO) addressed by paths relative to its root."""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any

from fsspec.implementations.local import LocalFileSystem

from infra.settings import Settings

PARTITION_VERSIONS = "_partitions.json"
BUILDS = "_builds"  # where derived assets' builds keep their days (see write, audit, publish below)
PUBLISHED = "_published.json"  # an asset's published index


def lake_fs(settings: Settings) -> Any:
    """An fsspec filesystem for the lake (s3fs for s3://, the local filesystem otherwise)."""
    if settings.lake_kind == "s3":
        import s3fs  # lazy: s3fs/botocore (~0.3 s) only for an s3:// lake

        return s3fs.S3FileSystem(
            key=settings.s3_access_key,
            secret=settings.s3_secret,
            client_kwargs={"endpoint_url": settings.s3_endpoint},
        )
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
# A derived asset's build writes its days to `<asset>/_builds/<run>/date=D/` and they stay there. The asset's
# published index, `<asset>/_published.json` = {day: build folder}, says which build of each day readers see:
# publishing is rewriting that one small file (a rename on a file lake, a single PUT on S3), so a reader sees
# a day's old build or its new one, never a mix and never a gap. The leading '_' keeps builds out of every
# listing of the asset's folder: readers find days through `published_days` only.


def run_slug(run_id: str) -> str:
    """A run id as a file name (Airflow's carry ':' and '+'); the digest keeps ids differing there apart."""
    return re.sub(r"[^\w.\-]", "_", run_id) + "-" + hashlib.sha256(run_id.encode()).hexdigest()[:8]


def build_path(relative: str, run_id: str) -> str:
    """The lake-relative folder a run of the asset at `relative` writes its `date=` partitions to."""
    return f"{relative}/{BUILDS}/{run_slug(run_id)}"


def published_days(settings: Settings, relative: str) -> dict[str, str]:
    """{day: lake-relative folder holding the day readers see} for the asset at `relative`.

    An asset without an index (a source, which lands in place, or a lake written before the index) has
    its days as its `date=` folders.
    """
    index = _index(settings, relative)
    return {day: _day_folder(relative, build, day) for day, build in sorted(index.items())}


def read_published(settings: Settings, relative: str, days: list[str] | None = None):
    """The published rows of the asset at `relative` as pandas with a `date` column: the `days` asked for
    (every published day when None), each from the build its index names; days not published are skipped."""
    import pandas as pd  # lazy: pandas/pyarrow cost ~0.4 s, and DAG parsing imports this module
    import pyarrow.parquet as pq  # lazy: as above

    fs, folders = lake_fs(settings), published_days(settings, relative)
    wanted = [day for day in (folders if days is None else days) if day in folders]
    frames = [
        pq.read_table(lake_path(settings, folders[d]), filesystem=fs).to_pandas().assign(date=pd.Timestamp(d))
        for d in wanted
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def publish_days(
    settings: Settings, relative: str, run_id: str, keys: list[str] | tuple[str, ...]
) -> list[str]:
    """Make a run's built days `keys` the ones readers see (one write of the index), drop the days of the
    build its gate rejected, and clear builds no reader has needed for `lake_retention_hours`. Returns
    the days published. Idempotent: a retried publish writes the same index."""
    if "" in keys:
        raise ValueError(f"{relative}: only day- or week-partitioned builds are staged, not unpartitioned")
    fs, build = lake_fs(settings), build_path(relative, run_id)
    built = set(_days_in_place(settings, build))
    published = [k for k in keys if k in built]
    index = _index(settings, relative)  # a first publish keeps days written in place readable where they are
    index.update(dict.fromkeys(published, build.removeprefix(relative + "/")))
    _write_index(settings, relative, index)
    for day in built - set(published):
        fs.rm(lake_path(settings, f"{build}/date={day}"), recursive=True)
    collect_garbage(settings, relative, index)
    return published


def discard_staged(settings: Settings, relative: str, run_id: str) -> None:
    """Remove what a run built and did not publish (a failed or wholly rejected run)."""
    fs, build = lake_fs(settings), lake_path(settings, build_path(relative, run_id))
    if fs.exists(build):
        fs.rm(build, recursive=True)


def collect_garbage(settings: Settings, relative: str, index: dict[str, str] | None = None) -> list[str]:
    """Remove the day folders of builds the index no longer names once they are older than the retention
    (a reader that resolved the index before a publish may still be reading them), and with them what a
    killed run left; the lake-relative folders removed."""
    fs, index = lake_fs(settings), index if index is not None else (_read_index(settings, relative) or {})
    cutoff = time.time() - settings.lake_retention_hours * 3600
    removed = []
    candidates = [f"{BUILDS}/{name}" for name in _names(fs, lake_path(settings, f"{relative}/{BUILDS}"))]
    if index:  # superseded days written in place before the index
        candidates.append("")
    for build in candidates:
        for day in _days_in_place(settings, f"{relative}/{build}".rstrip("/")):
            folder = _day_folder(relative, build, day)
            if index.get(day) != build and _modified(fs, lake_path(settings, folder)) < cutoff:
                fs.rm(lake_path(settings, folder), recursive=True)
                removed.append(folder)
        folder = lake_path(settings, f"{relative}/{build}")
        if build and not _names(fs, folder):
            fs.rm(folder, recursive=True)
    return removed


def _index(settings: Settings, relative: str) -> dict[str, str]:
    """{day: build folder ('' for a day in place)}: the published index, or, for an asset without one,
    its `date=` folders."""
    index = _read_index(settings, relative)
    return dict.fromkeys(_days_in_place(settings, relative), "") if index is None else index


def _day_folder(relative: str, build: str, day: str) -> str:
    return f"{relative}/{build}/date={day}" if build else f"{relative}/date={day}"


def _days_in_place(settings: Settings, relative: str) -> list[str]:
    names = _names(lake_fs(settings), lake_path(settings, relative))
    return sorted(n[5:] for n in names if n.startswith("date="))


def _names(fs: Any, folder: str) -> list[str]:
    if not fs.exists(folder):
        return []
    return [p.rstrip("/").rsplit("/", 1)[-1] for p in fs.ls(folder, detail=False)]


def _modified(fs: Any, folder: str) -> float:
    """When anything in `folder` last changed (epoch seconds); S3 has no folders, only objects."""
    stamps = [0.0]
    for info in fs.find(folder, detail=True).values():
        stamp = info.get("mtime") or info.get("LastModified")
        stamps.append(stamp.timestamp() if hasattr(stamp, "timestamp") else float(stamp or 0))
    return max(stamps)


def _read_index(settings: Settings, relative: str) -> dict[str, str] | None:
    try:
        with lake_fs(settings).open(f"{lake_path(settings, relative)}/{PUBLISHED}", "r") as handle:
            return json.load(handle)["days"]
    except FileNotFoundError:
        return None


def _write_index(settings: Settings, relative: str, index: dict[str, str]) -> None:
    """Replace the index in one step: a rename on a file lake; on S3 one PUT, which readers see whole."""
    fs, path = lake_fs(settings), f"{lake_path(settings, relative)}/{PUBLISHED}"
    body = json.dumps({"days": dict(sorted(index.items()))}, indent=0).encode()
    if settings.lake_kind == "s3":
        fs.pipe_file(path, body)
        return
    fs.pipe_file(path + ".tmp", body)
    fs.mv(path + ".tmp", path)
