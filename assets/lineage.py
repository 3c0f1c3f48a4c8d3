"""Lineage as a picture (a self-contained SVG of the asset graph) and as exact version provenance."""

from __future__ import annotations

from html import escape
from pathlib import Path

from assets.graph import AssetGraph

BOX_W, BOX_H, GAP_X, GAP_Y = 190, 46, 70, 22


def layers(graph: AssetGraph) -> dict[str, int]:
    """Column of each asset: one more than its deepest upstream."""
    depth: dict[str, int] = {}
    for name in graph.order:
        ups = [u for u in graph[name].upstream_names if u != name]
        depth[name] = 1 + max((depth[u] for u in ups), default=-1)
    return depth


def lineage_svg(graph: AssetGraph, focus: str | None = None) -> str:
    """The graph left to right, one column per dependency depth; `focus` and its relatives highlighted."""
    depth = layers(graph)
    columns: dict[int, list[str]] = {}
    for name in graph.order:
        columns.setdefault(depth[name], []).append(name)
    tallest = max(len(names) for names in columns.values())
    pos = {  # each column centred vertically, so edges between short columns stay apart
        name: (20 + col * (BOX_W + GAP_X), 20 + (row + (tallest - len(names)) / 2) * (BOX_H + GAP_Y))
        for col, names in columns.items()
        for row, name in enumerate(names)
    }
    related = (graph.ancestors([focus]) | graph.descendants([focus])) if focus else set(graph.order)
    width = 40 + (max(columns) + 1) * (BOX_W + GAP_X)
    height = 80 + tallest * (BOX_H + GAP_Y)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif">',
        '<defs><marker id="arrow" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto">'
        '<path d="M0,0 L10,4 L0,8 z" fill="#555"/></marker></defs>',
    ]
    for up, down in graph.edges():
        colour = "#555" if {up, down} <= related else "#ccc"
        parts.append(_edge(pos[up], pos[down], depth[down] - depth[up], colour))
    for name, (x, y) in pos.items():
        spec = graph[name]
        fill = "#e8f1fb" if spec.is_source else "#eaf7ea"
        stroke = "#d62728" if name == focus else ("#333" if name in related else "#bbb")
        detail = f"{spec.partitioning}" + (" · gate" if spec.gate else "")
        parts.append(
            f'<g><title>{escape(spec.description)}</title>'
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="{stroke}"/>'
            f'<text x="{x + 10}" y="{y + 20}" font-size="13" font-weight="bold">{escape(name)}</text>'
            f'<text x="{x + 10}" y="{y + 37}" font-size="11" fill="#555">{escape(detail)}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _edge(start: tuple[float, float], end: tuple[float, float], span: int, colour: str) -> str:
    """A curve between boxes; edges that skip columns dip under the boxes in between."""
    (x1, y1), (x2, y2) = start, end
    if span <= 1:
        sx, sy, ex, ey = x1 + BOX_W, y1 + BOX_H / 2, x2, y2 + BOX_H / 2
        c1, c2 = (sx + GAP_X / 2, sy), (ex - GAP_X / 2, ey)
    else:
        sx, sy, ex, ey = x1 + BOX_W / 2, y1 + BOX_H, x2 + BOX_W / 3, y2 + BOX_H
        dip = max(sy, ey) + 18 + 12 * span
        c1, c2 = (sx + 40, dip), (ex - 40, dip)
    return (
        f'<path d="M{sx},{sy} C{c1[0]},{c1[1]} {c2[0]},{c2[1]} {ex},{ey}" stroke="{colour}" fill="none" '
        'marker-end="url(#arrow)"/>'
    )


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
    import json

    lines = [f"{asset} {row['partition'] or '(unpartitioned)'} version {row['data_version']} "
             f"(run {row['run_id']}, code {row['code_version']}) was built from:"]
    for upstream, versions in sorted(json.loads(row["input_versions"]).items()):
        span = f"{min(versions)}..{max(versions)}" if len(versions) > 1 else next(iter(versions), "")
        shown = ", ".join(f"{k}={v[:8]}" for k, v in list(sorted(versions.items()))[:5])
        more = f" (+{len(versions) - 5} more)" if len(versions) > 5 else ""
        lines.append(f"  {upstream} [{span}]: {shown}{more}")
    return "\n".join(lines)
