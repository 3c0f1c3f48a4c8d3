"""Write, audit, publish: a build is staged, its gate reads the staged data, and only the partitions the gate
passes replace what readers see. A rejected rebuild leaves the last validated version in place for every
reader, the concurrent one included, and every downstream job."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from assets import steps
from assets.runner import Runner, Selection
from infra.lake import STAGING, lake_path
from infra.warehouse import Warehouse, migrate
from spark.context import JobContext

from .gated_chain import DAYS, GRAPH, break_ledger, build_features, write_reference

LEDGER = "curated/inventory_snapshot"


@pytest.fixture
def validated(settings):
    """The gated chain built and published once; returns its settings."""
    migrate(Warehouse(settings))
    write_reference(settings)
    report = Runner(GRAPH, settings).materialize()
    assert all(not o.failed for o in report.outcomes)
    return settings


def published(settings, relative: str, day: str) -> pd.DataFrame:
    """What any reader of the lake finds for that day (sorted, so two reads compare row for row)."""
    frame = pd.read_parquet(Path(lake_path(settings, f"{relative}/date={day}")))
    return frame.sort_values(["store_id", "sku"]).reset_index(drop=True)


def staging_left(settings) -> list[str]:
    return sorted(str(p) for p in Path(lake_path(settings)).rglob(f"{STAGING}/*"))


def test_a_rejected_rebuild_leaves_the_last_validated_day_to_every_reader_and_downstream_job(validated):
    settings, day = validated, DAYS[1]
    before = published(settings, LEDGER, day)
    features_before = published(settings, "curated/daily_features", day)
    break_ledger(settings, day, [1, 0, 0, 0, 0, 0])  # the rebuilt day no longer balances

    run_id = "rebuild-1"
    params = {"date_from": day, "date_to": day, "force": True}
    assert steps.check(GRAPH, settings, "inventory_snapshot", run_id, params).partitions == (day,)
    steps.build(GRAPH, settings, "inventory_snapshot", (day,), run_id)
    assert staging_left(settings), "the build wrote its day to the run's staging folder"
    pd.testing.assert_frame_equal(published(settings, LEDGER, day), before)  # a reader now: the old day

    # A downstream job running meanwhile reads the validated ledger, not the staged one.
    ctx = JobContext.in_place(GRAPH, "daily_features", (day,), settings, "concurrent")
    build_features(ctx)
    pd.testing.assert_frame_equal(published(settings, "curated/daily_features", day), features_before)

    with pytest.raises(steps.GateFailed, match="ledger_gap"):
        steps.gate(GRAPH, settings, "inventory_snapshot", run_id)
    pd.testing.assert_frame_equal(published(settings, LEDGER, day), before)
    assert staging_left(settings) == [], "a wholly rejected run drops what it staged"
    with pytest.raises(steps.NothingToPublish):  # were the publish task run anyway, it finds nothing to move
        steps.publish(GRAPH, settings, "inventory_snapshot", run_id)
    pd.testing.assert_frame_equal(published(settings, LEDGER, day), before)


def test_the_runner_publishes_the_passing_days_of_a_batch_and_keeps_the_rejected_one(validated):
    settings = validated
    before = {day: published(settings, LEDGER, day) for day in DAYS}
    break_ledger(settings, DAYS[1], 5)
    report = Runner(GRAPH, settings).materialize(Selection(("inventory_snapshot",), force=True))
    ledger = {o.asset: o for o in report.outcomes}["inventory_snapshot"]
    assert ledger.failed == [DAYS[1]] and ledger.built == [DAYS[0], DAYS[2]]
    pd.testing.assert_frame_equal(published(settings, LEDGER, DAYS[1]), before[DAYS[1]])
    assert staging_left(settings) == []
    break_ledger(settings, DAYS[1], 0)
    report = Runner(GRAPH, settings).materialize(Selection(("inventory_snapshot",), DAYS[1], DAYS[1], True))
    assert {o.asset: o for o in report.outcomes}["inventory_snapshot"].built == [DAYS[1]]
    pd.testing.assert_frame_equal(published(settings, LEDGER, DAYS[1]), before[DAYS[1]])
