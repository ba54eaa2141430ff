"""The dependency graph drawn on the server as SVG (no script: the pages' CSP allows none inline).

A layered layout: the services on top, each node one row below the lowest node that needs it
(the longest path, from networkx's topological order), nodes ordered within a row by the mean
position of what needs them (one barycentre pass, which removes most crossings in graphs of
this shape). Required edges are solid, alternatives dashed; single points of failure have a red
border, the nodes of a scenario that fail are filled red.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from finres.core.resilience import Graph

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 170, 40, 24, 56, 16
FILL = {
    "service": "#dbe8f7",
    "process": "#e8f0e0",
    "system": "#fff4d6",
    "data_store": "#fbe7d0",
    "infrastructure": "#ece6f5",
    "supplier": "#f3e0ea",
    "site": "#e3e8ef",
}


def layers(graph: Graph) -> list[list[str]]:
    digraph = graph.digraph
    depth = dict.fromkeys(digraph.nodes, 0)
    for node in nx.topological_sort(digraph):  # a node before what it needs
        for needed in digraph.successors(node):
            depth[needed] = max(depth[needed], depth[node] + 1)
    rows: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    order = {n: i for i, n in enumerate(graph.nodes)}
    for node in graph.nodes:
        rows[depth[node]].append(node)
    position: dict[str, float] = {}
    for index, row in enumerate(rows):
        if index:
            row.sort(
                key=lambda n: (
                    _mean([position[p] for p in digraph.predecessors(n) if p in position]),
                    order[n],
                )
            )
        for place, code in enumerate(row):
            position[code] = place
    return rows


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _label(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def draw(
    graph: Graph,
    names: Mapping[str, str],
    title: str,
    single_points: Collection[str] = (),
    failed: Collection[str] = (),
) -> str:
    rows = layers(graph)
    widest = max((len(r) for r in rows), default=1)
    width = MARGIN * 2 + widest * BOX_W + (widest - 1) * GAP_X
    height = MARGIN * 2 + len(rows) * BOX_H + max(len(rows) - 1, 0) * GAP_Y
    at: dict[str, tuple[float, float]] = {}
    for depth, row in enumerate(rows):
        offset = (width - (len(row) * BOX_W + (len(row) - 1) * GAP_X)) / 2
        for place, code in enumerate(row):
            at[code] = (offset + place * (BOX_W + GAP_X), MARGIN + depth * (BOX_H + GAP_Y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" font-family="sans-serif" '
        f'font-size="12"><title>{escape(title)}</title>'
    ]
    alternatives = {
        (node.id, member) for node in graph.nodes.values() for g in node.any_of for member in g
    }
    for source, target in graph.digraph.edges:
        x1, y1 = at[source]
        x2, y2 = at[target]
        dash = ' stroke-dasharray="5 4"' if (source, target) in alternatives else ""
        parts.append(
            f'<line x1="{x1 + BOX_W / 2:.0f}" y1="{y1 + BOX_H:.0f}" x2="{x2 + BOX_W / 2:.0f}" '
            f'y2="{y2:.0f}" stroke="#6b7785" stroke-width="1.2"{dash} '
            f"data-edge={quoteattr(f'{source}>{target}')}/>"
        )
    for node_id, node in graph.nodes.items():
        x, y = at[node_id]
        fill = "#f6b8b1" if node_id in failed else FILL.get(node.kind.value, "#ffffff")
        stroke = (
            ' stroke="#b3261e" stroke-width="3"'
            if node_id in single_points
            else (' stroke="#55606d" stroke-width="1"')
        )
        name = names.get(node_id) or node.name or node_id
        parts.append(
            f"<g data-node={quoteattr(node_id)}><title>{escape(f'{node_id} {name}')}</title>"
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="5" '
            f'fill="{fill}"{stroke}/>'
            f'<text x="{x + 8:.0f}" y="{y + 16:.0f}" font-weight="bold">{escape(_label(node_id))}'
            f"</text>"
            f'<text x="{x + 8:.0f}" y="{y + 32:.0f}" fill="#333">{escape(_label(name))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
