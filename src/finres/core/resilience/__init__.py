"""Operational resilience: the dependency graph of critical services and its recovery analysis."""

from finres.core.resilience.analysis import (
    Analyser,
    Analysis,
    ServiceOutcome,
    analyse,
    analysis_data,
)
from finres.core.resilience.graph import (
    Graph,
    GraphError,
    Node,
    NodeKind,
    Scenario,
    build_graph,
    load_graph,
    parse_duration,
)

__all__ = [
    "Analyser",
    "Analysis",
    "Graph",
    "GraphError",
    "Node",
    "NodeKind",
    "Scenario",
    "ServiceOutcome",
    "analyse",
    "analysis_data",
    "build_graph",
    "load_graph",
    "parse_duration",
]
