"""The dependency graph of critical services: its file format and its validation.

A graph file (YAML or JSON) holds ``nodes`` and ``scenarios``::

    nodes:
      - id: e-trading                 # unique
        kind: service                 # service | process | system | infrastructure |
                                      # data_store | supplier | site
        rto: 2h                       # services: recovery time objective
        rpo: 15m                      # services: recovery point objective
        requires: [order-routing]     # all needed
        any_of: [[dc-taipei, dc-taichung]]  # groups of alternatives: one survivor suffices
        failover_time: 30m            # how long switching to a surviving alternative takes
        recovery_time: 4h             # to restore this node once what it requires is back
        recovery_point: 1h            # data lost when this node is restored
        tags: [windows]
    scenarios:
      - id: site-lost
        fail: [dc-taipei]             # node ids
        fail_tagged: [windows]        # and/or every node with one of these tags

Durations are written ``30m``, ``4h``, ``2d`` (or combined, ``1h30m``) and held in minutes; an
unstated ``recovery_time``, ``recovery_point`` or ``failover_time`` is zero. Every problem is
reported with its place; a graph with any problem is refused whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

import networkx as nx

from finres.core.i18n import DEFAULT_LANGUAGE, N_, Language, gettext_for


class NodeKind(StrEnum):
    SERVICE = "service"
    PROCESS = "process"
    SYSTEM = "system"
    INFRASTRUCTURE = "infrastructure"
    DATA_STORE = "data_store"
    SUPPLIER = "supplier"
    SITE = "site"


@dataclass(frozen=True)
class Node:
    id: str
    kind: NodeKind
    requires: tuple[str, ...] = ()
    any_of: tuple[tuple[str, ...], ...] = ()
    recovery_time: float = 0
    recovery_point: float = 0
    failover_time: float = 0
    rto: float | None = None
    rpo: float | None = None
    tags: frozenset[str] = frozenset()
    name: str = ""


@dataclass(frozen=True)
class Scenario:
    id: str
    fail: tuple[str, ...] = ()
    fail_tagged: tuple[str, ...] = ()
    name: str = ""


@dataclass
class Graph:
    """Nodes in file order, scenarios, and the dependency digraph (an edge n → what n needs)."""

    nodes: dict[str, Node]
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    digraph: nx.DiGraph[str] = field(default_factory=nx.DiGraph)

    def services(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == NodeKind.SERVICE]

    def dependencies_of(self, node_id: str) -> Graph:
        """The part of the graph ``node_id`` stands on: the node and everything it needs,
        directly or through others (what a service's own drawing shows)."""
        keep = {node_id} | nx.descendants(self.digraph, node_id)
        nodes = {code: node for code, node in self.nodes.items() if code in keep}
        return Graph(nodes, dict(self.scenarios), nx.DiGraph(self.digraph.subgraph(keep)))

    def failed_by(self, scenario: Scenario) -> frozenset[str]:
        tagged = {n.id for n in self.nodes.values() if n.tags & set(scenario.fail_tagged)}
        return frozenset(scenario.fail) | tagged


class Problem(NamedTuple):
    """One defect: where (a node, a scenario, a field) and what, as a msgid with its values."""

    place: str
    message: str
    values: Mapping[str, Any] = {}

    def text(self, language: Language = "en") -> str:
        return gettext_for(language).gettext(self.message).format(**self.values)


class GraphError(ValueError):
    """A graph that cannot be analysed; ``problems`` lists every defect with its place."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(self.message("en"))

    def message(self, language: Language = DEFAULT_LANGUAGE) -> str:
        translate = gettext_for(language).gettext
        parts = [
            translate("{place}: {problem}").format(place=p.place, problem=p.text(language))
            if p.place
            else p.text(language)
            for p in self.problems
        ]
        return translate("{source}: {problems}").format(
            source=self.source, problems=translate("; ").join(parts)
        )


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([mhdw])")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}


def parse_duration(value: Any) -> float:
    """Minutes in a duration written ``30m``, ``4h``, ``2d``, ``1w`` or ``1h30m``; ``0`` is zero.

    Raises ValueError for anything else (a bare number other than 0 has no unit to trust).
    """
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float) and value == 0:
        return 0
    if not isinstance(value, str):
        raise ValueError(value)
    text = value.strip().lower()
    if text == "0":
        return 0
    position, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != position and text[position : match.start()].strip():
            raise ValueError(value)
        total += float(match.group(1)) * _UNIT_MINUTES[match.group(2)]
        position = match.end()
    if position == 0 or text[position:].strip():
        raise ValueError(value)
    return total


NODE_FIELDS = frozenset(
    {
        "id",
        "name",
        "kind",
        "requires",
        "any_of",
        "failover_time",
        "recovery_time",
        "recovery_point",
        "rto",
        "rpo",
        "tags",
    }
)
SCENARIO_FIELDS = frozenset({"id", "name", "fail", "fail_tagged"})


def _id_list(raw: Any, place: str, name: str, problems: list[Problem]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        problems.append(Problem(place, N_("{field} must be a list of ids"), {"field": name}))
        return ()
    return tuple(raw)


def _node(raw: Any, index: int, problems: list[Problem]) -> Node | None:
    place = f"nodes[{index}]"
    if not isinstance(raw, dict):
        problems.append(Problem(place, N_("a node must be a mapping")))
        return None
    node_id = raw.get("id")
    if not isinstance(node_id, str) or not node_id:
        problems.append(Problem(place, N_("a node needs an id (text)")))
        return None
    place = node_id
    for unknown in sorted(set(raw) - NODE_FIELDS, key=str):
        problems.append(Problem(place, N_("unknown field {field}"), {"field": unknown}))
    try:
        kind = NodeKind(str(raw.get("kind")))
    except ValueError:
        problems.append(
            Problem(
                place,
                N_("unknown kind {kind} (expected one of {kinds})"),
                {"kind": raw.get("kind"), "kinds": ", ".join(k.value for k in NodeKind)},
            )
        )
        kind = NodeKind.SYSTEM
    durations: dict[str, float | None] = {}
    for name in ("recovery_time", "recovery_point", "failover_time", "rto", "rpo"):
        if raw.get(name) is None:
            durations[name] = None
            continue
        try:
            durations[name] = parse_duration(raw[name])
        except ValueError:
            problems.append(
                Problem(
                    place,
                    N_("{field}: {value} is not a duration (write 30m, 4h, 2d)"),
                    {"field": name, "value": raw[name]},
                )
            )
            durations[name] = None
    if kind != NodeKind.SERVICE:
        for name in ("rto", "rpo"):
            if raw.get(name) is not None:
                problems.append(
                    Problem(place, N_("{field} belongs to services only"), {"field": name})
                )
    groups: list[tuple[str, ...]] = []
    any_of = raw.get("any_of")
    if any_of is not None:
        if not isinstance(any_of, list):
            problems.append(Problem(place, N_("any_of must be a list of lists of ids")))
        else:
            for group in any_of:
                members = _id_list(group, place, "any_of", problems)
                if group is not None and isinstance(group, list) and not members:
                    problems.append(Problem(place, N_("an any_of group cannot be empty")))
                if members:
                    groups.append(members)
    tags = _id_list(raw.get("tags"), place, "tags", problems)
    display = raw.get("name") or ""
    return Node(
        id=node_id,
        kind=kind,
        requires=_id_list(raw.get("requires"), place, "requires", problems),
        any_of=tuple(groups),
        recovery_time=durations["recovery_time"] or 0,
        recovery_point=durations["recovery_point"] or 0,
        failover_time=durations["failover_time"] or 0,
        rto=durations["rto"],
        rpo=durations["rpo"],
        tags=frozenset(tags),
        name=display if isinstance(display, str) else str(display),
    )


def _scenario(raw: Any, index: int, problems: list[Problem]) -> Scenario | None:
    place = f"scenarios[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw.get("id"):
        problems.append(Problem(place, N_("a scenario needs an id (text)")))
        return None
    place = f"scenario {raw['id']}"
    for unknown in sorted(set(raw) - SCENARIO_FIELDS, key=str):
        problems.append(Problem(place, N_("unknown field {field}"), {"field": unknown}))
    scenario = Scenario(
        id=raw["id"],
        fail=_id_list(raw.get("fail"), place, "fail", problems),
        fail_tagged=_id_list(raw.get("fail_tagged"), place, "fail_tagged", problems),
        name=str(raw.get("name") or ""),
    )
    if not scenario.fail and not scenario.fail_tagged:
        problems.append(Problem(place, N_("a scenario must name fail or fail_tagged")))
    return scenario


def build_graph(data: Any, source: str = "graph") -> Graph:
    """Validate ``data`` (the parsed file) and build the graph; GraphError lists every defect."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise GraphError(source, [Problem("", N_("expected a mapping with nodes and scenarios"))])
    for unknown in sorted(set(data) - {"nodes", "scenarios"}, key=str):
        problems.append(Problem("", N_("unknown field {field}"), {"field": unknown}))
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise GraphError(source, [*problems, Problem("nodes", N_("expected a list of nodes"))])
    nodes: dict[str, Node] = {}
    for index, raw in enumerate(raw_nodes):
        node = _node(raw, index, problems)
        if node is None:
            continue
        if node.id in nodes:
            problems.append(Problem(node.id, N_("duplicate node id")))
            continue
        nodes[node.id] = node
    digraph: nx.DiGraph[str] = nx.DiGraph()
    digraph.add_nodes_from(nodes)
    for node in nodes.values():
        needed = list(node.requires) + [m for group in node.any_of for m in group]
        for other in needed:
            if other not in nodes:
                problems.append(Problem(node.id, N_("unknown node {ref}"), {"ref": other}))
            elif other == node.id:
                problems.append(Problem(node.id, N_("a node cannot depend on itself")))
            else:
                digraph.add_edge(node.id, other)
    if not problems and not nx.is_directed_acyclic_graph(digraph):
        cycle = nx.find_cycle(digraph)  # only to name it: slower than the test above
        if cycle:
            path = " → ".join([str(a) for a, _ in cycle] + [str(cycle[0][0])])
            problems.append(
                Problem(str(cycle[0][0]), N_("dependency cycle: {path}"), {"path": path})
            )
    scenarios: dict[str, Scenario] = {}
    raw_scenarios = data.get("scenarios") or []
    if not isinstance(raw_scenarios, list):
        problems.append(Problem("scenarios", N_("expected a list of scenarios")))
        raw_scenarios = []
    all_tags = set().union(*(n.tags for n in nodes.values()))
    for index, raw in enumerate(raw_scenarios):
        scenario = _scenario(raw, index, problems)
        if scenario is None:
            continue
        place = f"scenario {scenario.id}"
        if scenario.id in scenarios:
            problems.append(Problem(place, N_("duplicate scenario id")))
        for ref in scenario.fail:
            if ref not in nodes:
                problems.append(Problem(place, N_("unknown node {ref}"), {"ref": ref}))
        for tag in scenario.fail_tagged:
            if tag not in all_tags:
                problems.append(Problem(place, N_("no node has the tag {tag}"), {"tag": tag}))
        scenarios[scenario.id] = scenario
    if problems:
        raise GraphError(source, problems)
    return Graph(nodes=nodes, scenarios=scenarios, digraph=digraph)


def load_graph(path: Path) -> Graph:
    """Read and validate a graph file (YAML or JSON; duplicate keys are refused)."""
    from finres.core.library.loader import LibraryError, read_yaml

    try:
        data = read_yaml(path)
    except LibraryError as error:
        raise GraphError(
            str(path), [Problem("", "{text}", {"text": p.message}) for p in error.problems]
        ) from None
    return build_graph(data, str(path))
