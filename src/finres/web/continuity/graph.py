"""The organisation's graph in the core's file format, and the analyses the pages show.

Everything here reads the rows in a fixed number of queries and hands plain data to the pure
core (``finres.core.resilience``): ``build_graph`` validates (every problem with its place) and
``analyse`` computes. Nothing of the recovery model is re-implemented here; this module only
counts over the validated graph (concentration) and puts names on the core's answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from django.core.cache import cache
from django.db.models import Prefetch

from finres import __version__
from finres.core.resilience import (
    Analysis,
    Graph,
    GraphError,
    ServiceOutcome,
    analyse,
    analysis_data,
    build_graph,
)
from finres.web.continuity.models import (
    CriticalService,
    Dependency,
    DrillNodeResult,
    Node,
    RecoveryLayer,
    Scenario,
)
from finres.web.orgs.models import Organisation

# The order of kinds in an exported file: from the services down to what they stand on.
KIND_ORDER = {kind.value: index for index, kind in enumerate(Node.Kind)}

ANALYSIS_CACHE_SECONDS = 24 * 60 * 60  # keyed by content: a day only bounds what is kept

_UNITS = (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60), ("m", 1))


def duration_text(minutes: int | float | None) -> str | None:
    """Minutes written as the graph file writes durations (``90`` → ``1h30m``; ``0`` → ``0``)."""
    if minutes is None:
        return None
    left = int(minutes)
    if left == 0:
        return "0"
    parts = []
    for unit, size in _UNITS:
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    return "".join(parts)


def load_nodes(organisation: Organisation) -> list[Node]:
    """The organisation's nodes in file order, with what the graph and the pages need (five
    queries whatever the size; drills not yet performed demonstrate nothing)."""
    nodes = list(
        Node.objects.filter(organisation=organisation)
        .select_related("service", "system", "supplier", "site")
        .prefetch_related(
            Prefetch("layers", queryset=RecoveryLayer.objects.order_by("layer")),
            Prefetch(
                "drill_results",
                queryset=DrillNodeResult.objects.filter(drill__performed_on__isnull=False)
                .select_related("drill")
                .order_by("pk"),
            ),
            Prefetch(
                "dependencies",
                queryset=Dependency.objects.select_related("target").order_by("group", "pk"),
            ),
        )
    )
    nodes.sort(key=lambda n: (KIND_ORDER.get(n.kind, 99), n.code))
    return nodes


def node_data(node: Node) -> dict[str, Any]:
    """One node as the core's file format writes it (durations as text)."""
    recovery_time, recovery_point, _layer = node.effective_recovery()
    data: dict[str, Any] = {"id": node.code, "kind": node.kind}
    if node.name:
        data["name"] = node.name
    if node.service is not None:
        data["rto"] = duration_text(node.service.rto_minutes)
        data["rpo"] = duration_text(node.service.rpo_minutes)
    requires = [d.target.code for d in node.dependencies.all() if not d.group]
    groups: dict[str, list[str]] = {}
    for dependency in node.dependencies.all():
        if dependency.group:
            groups.setdefault(dependency.group, []).append(dependency.target.code)
    if requires:
        data["requires"] = requires
    if groups:
        data["any_of"] = [groups[name] for name in sorted(groups)]
    if node.failover_time_minutes:
        data["failover_time"] = duration_text(node.failover_time_minutes)
    if recovery_time:
        data["recovery_time"] = duration_text(recovery_time)
    if recovery_point:
        data["recovery_point"] = duration_text(recovery_point)
    if node.tags:
        data["tags"] = list(node.tags)
    return data


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    data: dict[str, Any] = {"id": scenario.code, "name": scenario.name}
    fail = sorted(n.code for n in scenario.fail.all())
    if fail:
        data["fail"] = fail
    if scenario.fail_tagged:
        data["fail_tagged"] = list(scenario.fail_tagged)
    return data


def scenarios_of(organisation: Organisation) -> list[Scenario]:
    return list(
        Scenario.objects.filter(organisation=organisation).prefetch_related(
            Prefetch("fail", queryset=Node.objects.only("pk", "code"))
        )
    )


def graph_data(
    organisation: Organisation,
    nodes: list[Node] | None = None,
    scenarios: Iterable[Scenario] | None = None,
) -> dict[str, Any]:
    """The graph file (``finres resilience analyse --file`` reads it): every node and, unless
    ``scenarios`` is given, every saved scenario."""
    nodes = load_nodes(organisation) if nodes is None else nodes
    chosen = scenarios_of(organisation) if scenarios is None else list(scenarios)
    return {
        "nodes": [node_data(n) for n in nodes],
        "scenarios": [scenario_data(s) for s in chosen],
    }


@dataclass
class Outcome:
    """A service's outcome, with its rows and the names of its critical path."""

    outcome: ServiceOutcome
    node: Node
    service: CriticalService | None
    path: list[Node]

    @property
    def rto_gap(self) -> float:
        rto = self.outcome.rto
        return 0 if rto is None else max(0.0, self.outcome.recovery_time - rto)

    @property
    def rpo_gap(self) -> float:
        rpo = self.outcome.rpo
        return 0 if rpo is None else max(0.0, self.outcome.data_loss - rpo)


@dataclass
class Concentration:
    kind: str  # supplier | site | cloud_provider
    label: str
    node: Node | None
    services: list[Node]


@dataclass
class Result:
    """What an analysis page shows: the core's ``Analysis`` (or its problems) with names."""

    nodes: dict[str, Node]
    graph: Graph | None = None
    analysis: Analysis | None = None
    error: GraphError | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    single_points: list[tuple[Node, list[Node]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.analysis is not None

    def data(self) -> dict[str, Any] | None:
        return analysis_data(self.analysis) if self.analysis is not None else None

    @property
    def breaching_rto(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.outcome.meets_rto is False]

    @property
    def breaching_rpo(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.outcome.meets_rpo is False]


def run(organisation: Organisation, scenario: Scenario | None = None) -> Result:
    """The worst single failure of every node (no scenario), or one saved scenario."""
    nodes = load_nodes(organisation)
    data = graph_data(organisation, nodes, [scenario] if scenario is not None else [])
    return _analysed(nodes, data, scenario.code if scenario is not None else None)


def _analysed(nodes: list[Node], data: dict[str, Any], scenario: str | None) -> Result:
    by_code = {n.code: n for n in nodes}
    result = Result(nodes=by_code)
    if not nodes:
        return result
    try:
        graph = build_graph(data, "graph")
    except GraphError as error:
        result.error = error
        return result
    result.graph = graph
    result.analysis = analyse(graph, scenario)
    for outcome in result.analysis.services:
        node = by_code[outcome.id]
        path = [by_code[code] for code in outcome.critical_path]
        result.outcomes.append(Outcome(outcome, node, node.service, path))
    result.single_points = [
        (by_code[code], [by_code[s] for s in services])
        for code, services in result.analysis.single_points_of_failure
    ]
    return result


def concentration(result: Result) -> list[Concentration]:
    """How many critical services depend, directly or not, on each supplier, site and cloud
    provider (a cloud provider: the systems naming it in the register), most first."""
    if result.graph is None:
        return []
    digraph = result.graph.digraph
    services = {n.code for n in result.nodes.values() if n.kind == Node.Kind.SERVICE}
    rows: list[Concentration] = []
    providers: dict[str, set[str]] = {}
    for code, node in result.nodes.items():  # only the nodes counted are traversed from
        provider = node.system.cloud_provider.strip() if node.system is not None else ""
        if node.kind not in (Node.Kind.SUPPLIER, Node.Kind.SITE) and not provider:
            continue
        above = nx.ancestors(digraph, code) & services
        if node.kind in (Node.Kind.SUPPLIER, Node.Kind.SITE):
            label = str(node.supplier or node.site or node)
            rows.append(Concentration(node.kind, label, node, _named(result, above)))
        if provider:
            providers.setdefault(provider, set()).update(above)
    for provider, above in providers.items():
        rows.append(Concentration("cloud_provider", provider, None, _named(result, above)))
    rows.sort(key=lambda row: (-len(row.services), row.kind, row.label))
    return rows


def _named(result: Result, codes: set[str]) -> list[Node]:
    return sorted((result.nodes[c] for c in codes), key=lambda n: n.code)


def dashboard_numbers(organisation: Organisation) -> dict[str, Any]:
    """The numbers a dashboard tile shows: critical services, those that cannot meet their RTO
    or RPO in the worst single failure, single points of failure; ``valid`` is false when the
    graph has a problem (then the counts are ``None``).

    The analysis (about a second for a large institution's graph) is kept in the cache under a
    hash of everything it reads, so an unchanged graph is not analysed again on every view and
    any change to a node, an edge, a recovery layer or a drill result is seen at once."""
    services = CriticalService.objects.filter(organisation=organisation).count()
    nodes = load_nodes(organisation)
    data = graph_data(organisation, nodes, [])
    payload = json.dumps([__version__, data], sort_keys=True, ensure_ascii=False, default=str)
    key = "finres-graph-numbers-" + hashlib.sha256(payload.encode()).hexdigest()
    numbers = cache.get(key)
    if numbers is None:
        result = _analysed(nodes, data, None)
        if result.error is not None:
            numbers = {
                "valid": False,
                "breaching_rto": None,
                "breaching_rpo": None,
                "single_points_of_failure": None,
            }
        else:
            numbers = {
                "valid": True,
                "breaching_rto": len(result.breaching_rto),
                "breaching_rpo": len(result.breaching_rpo),
                "single_points_of_failure": len(result.single_points),
            }
        cache.set(key, numbers, ANALYSIS_CACHE_SECONDS)
    return {"services": services, **numbers}
