"""Lineage as a picture (an SVG of the asset graph laid out by Graphviz) and as exact version provenance."""

from __future__ import annotations

import json
from pathlib import Path

import graphviz

from assets.graph import AssetGraph

# Columns of the picture, left to right, by where an asset lives in the lake.
STAGES = (("reference", "Reference dimensions", ("reference/",)),
          ("sources", "Sources (Kafka ingest)", ("raw/",)),
          ("curated", "Curated", ("curated/",)),
          ("ml", "Models, predictions and insights", ("models/", "marts/")))  # fmt: skip


def stage(path: str) -> str:
    return next((name for name, _, prefixes in STAGES if path.startswith(prefixes)), "ml")


def lineage_dot(graph: AssetGraph, focus: str | None = None):
    """The graph as a Graphviz digraph, one cluster per stage; `focus` and its relatives highlighted."""
    related = (graph.ancestors([focus]) | graph.descendants([focus])) if focus else set(graph.order)
    dot = graphviz.Digraph("lineage", graph_attr={"rankdir": "LR", "fontname": "Helvetica", "fontsize": "12",
                                                  "nodesep": "0.25", "ranksep": "0.6", "splines": "spline",
                                                  "compound": "true"},  # edges may end at a frame
                           node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica",
                                      "fontsize": "11", "width": "2.2"},
                           edge_attr={"arrowsize": "0.7"})  # fmt: skip
    for key, label, _ in STAGES:
        with dot.subgraph(name=f"cluster_{key}", graph_attr={"label": label, "style": "dashed",
                                                             "color": "#999999"}) as cluster:  # fmt: skip
            for name in (n for n in graph.order if stage(graph[n].storage.path) == key):
                spec = graph[name]
                detail = spec.partitioning + (" · gate" if spec.gate else "")
                reads = graph[name].as_of_build_names
                tooltip = spec.description + (f" Reads {', '.join(reads)} as of build." if reads else "")
                outline = "#d62728" if name == focus else ("#333333" if name in related else "#bbbbbb")
                cluster.node(name, label=f"{name}\n{detail}", tooltip=tooltip, color=outline,
                             fillcolor="#e8f1fb" if spec.is_source else "#eaf7ea",
                             penwidth="2" if name == focus else "1")  # fmt: skip
    for up, down in tracked_edges(graph):
        dot.edge(up, down, color="#555555" if {up, down} <= related else "#cccccc")
    _as_of_build_edges(dot, graph)
    return dot


def tracked_edges(graph: AssetGraph) -> list[tuple[str, str]]:
    """The edges whose upstream versions a partition keeps (every edge but the reads as of build)."""
    return [(u.asset, a) for a in graph.order for u in graph[a].tracked_upstream if u.asset != a]


def _as_of_build_edges(dot, graph: AssetGraph) -> None:
    """One dashed arrow from the reference frame to each frame holding an asset that reads a dimension as of
    build (each box's tooltip names which): one per asset would cover the picture."""
    first = {}
    for name in graph.order:
        first.setdefault(stage(graph[name].storage.path), name)
    reading = {stage(graph[n].storage.path) for n in graph.order if graph[n].as_of_build_names}
    for key, _, _ in STAGES:
        if key in reading and "reference" in first:
            dot.edge(first["reference"], first[key], ltail="cluster_reference", lhead=f"cluster_{key}",
                     id=f"as_of_build_{key}", style="dashed", color="#888888", label="as of build",
                     fontsize="9", fontcolor="#666666")  # fmt: skip


def lineage_svg(graph: AssetGraph, focus: str | None = None) -> str:
    """The picture as SVG text (needs Graphviz's `dot`, which infra/install.sh installs)."""
    return lineage_dot(graph, focus).pipe(format="svg", encoding="utf-8")


def write_lineage_svg(graph: AssetGraph, path: Path, focus: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(lineage_svg(graph, focus))
    return path


def mermaid(graph: AssetGraph) -> str:
    """The graph as a Mermaid flowchart (for the README and the docs)."""
    lines = ["flowchart LR"]
    lines += [f"    {up} --> {down}" for up, down in graph.edges()]
    return "\n".join(lines)


def trace_version(runner, asset: str, version: str) -> str:
    """The exact upstream partition versions a given data version of `asset` was built from."""
    history = runner.store.history(asset)
    match = history[history["data_version"].str.startswith(version)]
    if match.empty:
        return f"no materialization of {asset} has data version {version}"
    row = match.iloc[0]
    lines = [f"{asset} {row['partition'] or '(unpartitioned)'} version {row['data_version']} "
             f"(run {row['run_id']}, code {row['code_version']}) was built from:"]
    for upstream, versions in sorted(json.loads(row["input_versions"]).items()):
        span = f"{min(versions)}..{max(versions)}" if len(versions) > 1 else next(iter(versions), "")
        shown = ", ".join(f"{k}={v[:8]}" for k, v in list(sorted(versions.items()))[:5])
        more = f" (+{len(versions) - 5} more)" if len(versions) > 5 else ""
        lines.append(f"  {upstream} [{span}]: {shown}{more}")
    return "\n".join(lines)
