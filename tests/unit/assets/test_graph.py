"""Graph validation: every declaration error has a message a person can act on."""

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from assets.definitions import load_graph
from assets.graph import GraphError, build_graph, derived_partitions
from assets.lineage import stage, tracked_edges
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
    from assets.lineage import lineage_svg

    graph = load_graph()
    for svg in (LINEAGE.read_text(), lineage_svg(graph)):  # the committed picture, and a fresh one
        nodes, edges, clusters = picture(svg)
        drawn = {e for e in edges if not e[0].startswith("as_of_build_")}
        assert set(nodes) == set(graph.order) and drawn == set(tracked_edges(graph)), (
            "assets/lineage.svg is out of date: run `shelfwise lineage --out assets/lineage.svg`")
        # reads as of build: one dashed arrow into each frame holding a reader, the dimensions in its tooltip
        readers = {name: graph[name].as_of_build_names for name in graph.order}
        frames = {stage(graph[name].storage.path) for name, reads in readers.items() if reads}
        assert {e[0].removeprefix("as_of_build_") for e in edges if e not in drawn} == frames
        for name, reads in readers.items():
            assert all(read in tooltips(svg)[name] for read in reads), name
        for name, box in nodes.items():  # each asset drawn inside its stage's frame
            assert inside(box, clusters[f"cluster_{stage(graph[name].storage.path)}"]), name
        assert max(box[0] for box in clusters.values()) > min(box[2] for box in clusters.values())


def test_no_lineage_edge_runs_through_a_box():
    from assets.lineage import lineage_svg

    nodes, _, _ = picture(lineage_svg(load_graph()))
    for (up, down), points in picture(lineage_svg(load_graph()), paths=True)[1].items():
        for name, (x0, y0, x1, y1) in nodes.items():
            if name in (up, down):
                continue
            crossing = [p for p in points if x0 + 2 < p[0] < x1 - 2 and y0 + 2 < p[1] < y1 - 2]
            assert not crossing, f"{up} -> {down} runs through {name}"


LINEAGE = Path(__file__).resolve().parents[3] / "assets" / "lineage.svg"
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


def picture(svg: str, paths: bool = False):
    """({node: box}, edges as {(up, down)} or {(up, down): points along the edge}, {cluster: box}) of a
    Graphviz SVG; a box is (left, top, right, bottom)."""
    root = ElementTree.fromstring(svg)
    nodes, edges, clusters = {}, {}, {}
    for group in root.iter(f"{SVG}g"):
        title = group.findtext(f"{SVG}title")
        shape = [e for e in group.iter() if e.tag in (f"{SVG}path", f"{SVG}polygon")]  # also inside links
        if group.get("class") == "node":
            nodes[title] = bounds(numbers(shape[0]))
        elif group.get("class") == "cluster":
            clusters[title] = bounds(numbers(shape[0]))
        elif group.get("class") == "edge" and group.get("id", "").startswith("as_of_build_"):
            edges[(group.get("id"), "")] = along(numbers(shape[0]))
        elif group.get("class") == "edge":
            up, down = title.split("->")
            edges[(up, down)] = along(numbers(shape[0]))
    return nodes, (edges if paths else set(edges)), clusters


def tooltips(svg: str) -> dict[str, str]:
    """Each node's tooltip (Graphviz writes it as the title of the node's link)."""
    root, found = ElementTree.fromstring(svg), {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "node":
            link = next(iter(group.iter(f"{SVG}a")), None)
            text = "" if link is None else link.get(f"{XLINK}title", "")
            found[group.findtext(f"{SVG}title")] = text
    return found


def numbers(element) -> list[tuple[float, float]]:
    text = element.get("d") or element.get("points")
    values = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)]
    return list(zip(values[::2], values[1::2], strict=True))


def bounds(points) -> tuple[float, float, float, float]:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def along(points, steps: int = 24) -> list[tuple[float, float]]:
    """Points on a path `M p0 C p1 p2 p3 p4 p5 p6 ...` (Graphviz draws edges as cubic Bezier runs)."""
    curve = []
    for start in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[start:start + 4]
        for k in range(steps + 1):
            t = k / steps
            weights = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3)
            curve.append(tuple(sum(w * p[i] for w, p in zip(weights, (p0, p1, p2, p3), strict=True))
                               for i in (0, 1)))  # fmt: skip
    return curve


def inside(box, frame) -> bool:
    return frame[0] <= box[0] and frame[1] <= box[1] and box[2] <= frame[2] and box[3] <= frame[3]
