"""Write, audit, publish: a build is staged, its gate reads the staged data, and only the partitions the gate
passes replace what readers see. A rejected rebuild leaves the last validated version in place for every
reader, the concurrent one included, and every downstream job."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from assets import steps
from assets.runner import Runner, Selection
from infra.lake import BUILDS, discard_staged, lake_path, published_days
from infra.warehouse import Warehouse, migrate
from spark.context import JobContext
from tests.lake_reads import read_day

from .gated_chain import DAYS, GRAPH, break_ledger, build_features, write_reference

LEDGER = "curated/inventory_snapshot"


@pytest.fixture
def validated(settings):
    """The gated chain built and published once; returns its settings. Builds a publish supersedes are
    removed at once (no retention), so anything left in a build folder is something never published."""
    settings = settings.model_copy(update={"lake_retention_hours": 0})
    migrate(Warehouse(settings))
    write_reference(settings)
    report = Runner(GRAPH, settings).materialize()
    assert all(not o.failed for o in report.outcomes)
    return settings


def published(settings, relative: str, day: str) -> pd.DataFrame:
    """What any reader of the lake finds for that day (sorted, so two reads compare row for row)."""
    frame = read_day(settings, relative, day)
    return frame.sort_values(["store_id", "sku"]).reset_index(drop=True)


def unpublished_builds(settings) -> list[str]:
    """Day folders of builds that no published index names (a build waiting for its gate, or garbage)."""
    named = {folder for relative in ("curated/inventory_snapshot", "curated/daily_features")
             for folder in published_days(settings, relative).values()}
    root = Path(lake_path(settings))
    built = (str(folder.relative_to(root)) for folder in root.rglob(f"{BUILDS}/*/date=*"))
    return sorted(folder for folder in built if folder not in named)


def test_a_rejected_rebuild_leaves_the_last_validated_day_to_every_reader_and_downstream_job(validated):
    settings, day = validated, DAYS[1]
    before = published(settings, LEDGER, day)
    features_before = published(settings, "curated/daily_features", day)
    break_ledger(settings, day, [1, 0, 0, 0, 0, 0])  # the rebuilt day no longer balances

    run_id = "rebuild-1"
    params = {"date_from": day, "date_to": day, "force": True}
    assert steps.check(GRAPH, settings, "inventory_snapshot", run_id, params).partitions == (day,)
    steps.build(GRAPH, settings, "inventory_snapshot", (day,), run_id)
    assert unpublished_builds(settings), "the build wrote its day to the run's staging folder"
    pd.testing.assert_frame_equal(published(settings, LEDGER, day), before)  # a reader now: the old day

    # A downstream job running meanwhile reads the validated ledger, not the staged one.
    ctx = JobContext.of(GRAPH, "daily_features", (day,), settings, "concurrent")
    build_features(ctx)
    concurrent = pd.read_parquet(Path(lake_path(settings, f"{ctx.output}/date={day}")))
    pd.testing.assert_frame_equal(concurrent.sort_values(["store_id", "sku"]).reset_index(drop=True),
                                  features_before)  # fmt: skip
    discard_staged(settings, ctx.location("daily_features"), "concurrent")

    with pytest.raises(steps.GateFailed, match="ledger_gap"):
        steps.gate(GRAPH, settings, "inventory_snapshot", run_id)
    pd.testing.assert_frame_equal(published(settings, LEDGER, day), before)
    assert unpublished_builds(settings) == [], "a wholly rejected run drops what it staged"
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
    assert unpublished_builds(settings) == []
    break_ledger(settings, DAYS[1], 0)
    report = Runner(GRAPH, settings).materialize(Selection(("inventory_snapshot",), DAYS[1], DAYS[1], True))
    assert {o.asset: o for o in report.outcomes}["inventory_snapshot"].built == [DAYS[1]]
    pd.testing.assert_frame_equal(published(settings, LEDGER, DAYS[1]), before[DAYS[1]])
