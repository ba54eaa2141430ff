"""Checks shared by the pages and the API before an edge is added: no duplicate, and no
dependency cycle (the core would refuse the whole graph; here the one edge is refused)."""

from __future__ import annotations

import networkx as nx
from django.utils.translation import gettext as _

from finres.web.continuity.models import Dependency, Node


def edge_problem(node: Node, target: Node, group: str, exclude: int | None = None) -> str | None:
    if node.pk == target.pk:
        return _("A node cannot depend on itself.")
    edges = Dependency.objects.filter(organisation_id=node.organisation_id)
    if exclude is not None:
        edges = edges.exclude(pk=exclude)
    if edges.filter(node=node, target=target, group=group).exists():
        return _("This dependency is already recorded.")
    digraph: nx.DiGraph[int] = nx.DiGraph()
    digraph.add_edges_from(edges.values_list("node_id", "target_id"))
    if target.pk in digraph and node.pk in digraph and nx.has_path(digraph, target.pk, node.pk):
        return _("%(target)s already depends on %(node)s: this would make a cycle.") % {
            "target": target.code,
            "node": node.code,
        }
    return None
