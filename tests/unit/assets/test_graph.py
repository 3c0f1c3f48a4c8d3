"""Graph validation: every declaration error has a message a person can act on."""

import pytest

from assets.definitions import load_graph
from assets.graph import GraphError, build_graph, derived_partitions
from assets.model import AssetSpec, Lake, all_up_to, latest_before, previous_day, window


def spec(name, upstream=(), partitioning="daily"):
    return AssetSpec(name, f"{name} for tests", "spark.jobs.none:build", Lake(name), upstream, partitioning)


def test_declared_graph_holds_the_five_assets_of_the_card_in_dependency_order():
    graph = load_graph()
    for name in ("raw_sales", "inventory_snapshot", "daily_features", "demand_model", "reorder_predictions"):
        assert name in graph.assets
    order = graph.order
    for up, down in graph.edges():
        assert order.index(up) < order.index(down)


def test_unknown_upstream_suggests_the_close_name():
    with pytest.raises(
        GraphError, match=r"'features' reads unknown upstream 'raw_sale'; did you mean 'raw_sales'\?"
    ):
        build_graph([spec("raw_sales"), spec("features", ["raw_sale"])])


def test_cycle_prints_its_path():
    with pytest.raises(GraphError, match=r"dependency cycle \(each reads the next\): a -> c -> b -> a"):
        build_graph([spec("a", ["c"]), spec("b", ["a"]), spec("c", ["b"])])


def test_duplicate_name():
    with pytest.raises(GraphError, match=r"duplicate asset name 'raw_sales'"):
        build_graph([spec("raw_sales"), spec("raw_sales")])


def test_self_dependency_is_allowed_only_on_the_previous_day():
    build_graph([spec("s"), spec("snap", ["s", previous_day("snap")])])
    with pytest.raises(GraphError, match="only its own previous day"):
        build_graph([spec("s"), spec("snap", ["s", "snap"])])


@pytest.mark.parametrize(
    ("assets", "message"),
    [
        ([spec("s", partitioning="none"), spec("f", [window("s", 7)])], "TrailingWindow maps daily"),
        ([spec("s"), spec("m", [latest_before("s")])], "latest_before maps a weekly upstream"),
        ([spec("s"), spec("w", ["s"], partitioning="weekly")], "same-day mapping needs both"),
        ([spec("s"), spec("m", [all_up_to("s")], partitioning="none")], "all_up_to maps a daily upstream"),
    ],
)
def test_incompatible_partition_mappings(assets, message):
    with pytest.raises(GraphError, match=message):
        build_graph(assets)


def test_weekly_partitions_end_only_on_a_sunday_with_data():
    graph = build_graph([spec("s"), spec("w", [all_up_to("s")], partitioning="weekly")])
    days = [f"2026-03-{d:02d}" for d in range(1, 15)]  # Sun 1 .. Sat 14: the week of the 9th is incomplete
    assert derived_partitions(graph, "w", {"s": days}) == ["2026-02-23", "2026-03-02"]


def test_daily_partitions_span_the_inputs_without_gaps():
    graph = build_graph([spec("s"), spec("d", ["s"])])
    assert derived_partitions(graph, "d", {"s": ["2026-01-30", "2026-02-02"]}) == [
        "2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02",
    ]


def test_committed_lineage_picture_matches_the_declarations():
    from pathlib import Path

    from assets.lineage import lineage_svg

    committed = Path(__file__).resolve().parents[3] / "assets" / "lineage.svg"
    assert committed.read_text() == lineage_svg(load_graph()), (
        "assets/lineage.svg is out of date: run `shelfwise lineage --out assets/lineage.svg`"
    )
