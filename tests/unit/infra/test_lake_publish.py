"""The published index on a file lake: what readers see before, during and after a publish, and what is
cleared when. The same functions on S3 (MinIO) run under tests/integration/test_pipeline.py's minio lake."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest

from infra.lake import (
    BUILDS,
    PUBLISHED,
    build_path,
    collect_garbage,
    discard_staged,
    lake_path,
    publish_days,
    published_days,
    read_published,
)

ASSET = "curated/totals"
DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]


def build(settings, run_id: str, values: dict[str, int]) -> None:
    """What a job does: write each day to the run's build folder."""
    for day, value in values.items():
        folder = Path(lake_path(settings, f"{build_path(ASSET, run_id)}/date={day}"))
        folder.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"store_id": ["S1"], "qty": [value]}).to_parquet(folder / "part-0.parquet", index=False)


def seen(settings) -> dict[str, int]:
    frame = read_published(settings, ASSET)
    if frame.empty:
        return {}
    return {str(d.date()): int(q) for d, q in zip(frame["date"], frame["qty"], strict=True)}


def age(settings, relative: str, hours: float) -> None:
    """Make everything under a lake folder look `hours` old."""
    stamp = time.time() - hours * 3600
    for path in Path(lake_path(settings, relative)).rglob("*"):
        os.utime(path, (stamp, stamp))


def test_a_build_is_invisible_until_published_and_only_the_days_published_become_visible(settings):
    build(settings, "r1", dict.fromkeys(DAYS, 1))
    assert published_days(settings, ASSET) == {} and seen(settings) == {}
    assert publish_days(settings, ASSET, "r1", DAYS[:2]) == DAYS[:2]  # the gate rejected the third day
    assert seen(settings) == {DAYS[0]: 1, DAYS[1]: 1}
    assert not Path(lake_path(settings, f"{build_path(ASSET, 'r1')}/date={DAYS[2]}")).exists()
    index = json.loads(Path(lake_path(settings, f"{ASSET}/{PUBLISHED}")).read_text())["days"]
    assert set(index) == set(DAYS[:2]) and all(v.startswith(f"{BUILDS}/r1-") for v in index.values())
    assert not list(Path(lake_path(settings, ASSET)).glob("date=*")), "nothing lands where listings look"


def test_a_reader_that_resolved_the_index_before_a_publish_still_reads_the_old_build(settings):
    build(settings, "r1", dict.fromkeys(DAYS, 1))
    publish_days(settings, ASSET, "r1", DAYS)
    before = published_days(settings, ASSET)  # a reader resolves, then is slow
    build(settings, "r2", {DAYS[1]: 2})
    publish_days(settings, ASSET, "r2", [DAYS[1]])
    assert seen(settings) == {DAYS[0]: 1, DAYS[1]: 2, DAYS[2]: 1}  # a new reader: the new day, the rest kept
    old = pd.read_parquet(lake_path(settings, before[DAYS[1]]))
    assert old["qty"].tolist() == [1], "the superseded day stays for the retention"


def test_superseded_days_and_a_killed_runs_leftovers_go_after_the_retention_only(settings):
    build(settings, "r1", dict.fromkeys(DAYS, 1))
    publish_days(settings, ASSET, "r1", DAYS)
    build(settings, "r2", {DAYS[0]: 2})
    publish_days(settings, ASSET, "r2", [DAYS[0]])
    build(settings, "killed", {DAYS[2]: 9})  # a run killed before its gate: nobody will publish or drop it
    assert collect_garbage(settings, ASSET) == []  # all young: a slow reader or a live build may need them
    age(settings, ASSET, settings.lake_retention_hours + 1)
    removed = collect_garbage(settings, ASSET)
    assert sorted(removed) == sorted([f"{build_path(ASSET, 'r1')}/date={DAYS[0]}",
                                      f"{build_path(ASSET, 'killed')}/date={DAYS[2]}"])  # fmt: skip
    assert not Path(lake_path(settings, build_path(ASSET, "killed"))).exists()
    assert seen(settings) == {DAYS[0]: 2, DAYS[1]: 1, DAYS[2]: 1}


def test_publish_is_idempotent_and_a_dropped_run_leaves_nothing(settings):
    build(settings, "r1", dict.fromkeys(DAYS, 1))
    publish_days(settings, ASSET, "r1", DAYS)
    publish_days(settings, ASSET, "r1", DAYS)  # a retried publish task
    assert seen(settings) == dict.fromkeys(DAYS, 1)
    build(settings, "r2", {DAYS[0]: 2})
    discard_staged(settings, ASSET, "r2")  # its gate rejected everything
    assert not Path(lake_path(settings, build_path(ASSET, "r2"))).exists()
    assert seen(settings) == dict.fromkeys(DAYS, 1)


def test_days_written_in_place_before_the_index_stay_readable_until_a_build_replaces_them(settings):
    for day in DAYS:  # a lake from before the index, or a source: days as plain date= folders
        folder = Path(lake_path(settings, f"{ASSET}/date={day}"))
        folder.mkdir(parents=True)
        pd.DataFrame({"store_id": ["S1"], "qty": [0]}).to_parquet(folder / "part-0.parquet", index=False)
    assert seen(settings) == dict.fromkeys(DAYS, 0)
    build(settings, "r1", {DAYS[0]: 1})
    publish_days(settings, ASSET, "r1", [DAYS[0]])
    assert seen(settings) == {DAYS[0]: 1, DAYS[1]: 0, DAYS[2]: 0}
    age(settings, ASSET, settings.lake_retention_hours + 1)
    assert collect_garbage(settings, ASSET) == [f"{ASSET}/date={DAYS[0]}"]


def test_an_unpartitioned_build_is_refused(settings):
    with pytest.raises(ValueError, match="unpartitioned"):
        publish_days(settings, ASSET, "r1", [""])
