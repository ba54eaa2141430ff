"""Recovery analysis over the dependency graph: can each critical service recover in time?

The model (docs/resilience.md has worked examples):

- In a scenario a set of nodes fails. A node is **down** when it failed, when something it
  ``requires`` is down, or when a whole ``any_of`` group of it is down.
- Its **recovery time** is the longest wait for what it depends on, plus its own
  ``recovery_time`` when it failed itself. The wait for a required node is that node's recovery
  time; for an alternative group wholly down, the member that comes back first; for a group
  with a survivor, the node's ``failover_time`` (or the survivor's own interruption, if
  longer); for a group untouched, nothing.
- A service's **data loss** is the largest ``recovery_point`` among the failed nodes it must
  wait for (through required nodes, the member of a wholly-down group it waits for, and itself).
- A service **meets its RTO** when its recovery time is at most the RTO (likewise RPO). The
  **critical path** is the chain from the service that sets the time. A **single point of
  failure** is a node whose failure alone makes some service miss its RTO.

Where members of a group tie on when they come back, the one losing the least data is taken,
then the first listed: an operator restores from the best copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import networkx as nx

from finres.core.resilience.graph import Graph, Node


class State(NamedTuple):
    """A node in one scenario. ``via`` is the node whose wait sets this one's time, if any."""

    down: bool = False
    time: float = 0
    loss: float = 0
    via: str | None = None

    @property
    def affected(self) -> bool:
        return self.down or self.time > 0


UNTOUCHED = State()


class Analyser:
    """Evaluates scenarios on one graph; only the nodes above a failure are visited."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        # Plain adjacency for the hot loop (what each node needs, and what needs it).
        self._dependents: dict[str, list[str]] = {n: [] for n in graph.nodes}
        for node, needed in graph.digraph.edges:
            self._dependents[needed].append(node)

    @cached_property
    def _position(self) -> dict[str, int]:
        # Dependencies before what depends on them (edges point from a node to what it needs).
        order = reversed(list(nx.topological_sort(self.graph.digraph)))
        return {node: index for index, node in enumerate(order)}

    def reached_by(self, failed: frozenset[str]) -> list[str]:
        """The failed nodes and everything that depends on them, dependencies first."""
        reached = set(failed)
        frontier = list(failed)
        dependents = self._dependents
        while frontier:
            for above in dependents[frontier.pop()]:
                if above not in reached:
                    reached.add(above)
                    frontier.append(above)
        return sorted(reached, key=self._position.__getitem__)

    def evaluate(self, failed: Iterable[str]) -> dict[str, State]:
        """The state of every node the failure of ``failed`` reaches (others are untouched)."""
        failed = frozenset(failed)
        states: dict[str, State] = {}
        nodes = self.graph.nodes
        for node_id in self.reached_by(failed):
            states[node_id] = self._state(nodes[node_id], failed, states)
        return states

    @staticmethod
    def _first_back(members: list[tuple[str, State]]) -> tuple[str, State]:
        return min(members, key=lambda item: (item[1].time, item[1].loss))

    def _state(self, node: Node, failed: frozenset[str], states: dict[str, State]) -> State:
        own = node.id in failed
        down = own
        longest, loss, via = 0.0, node.recovery_point if own else 0.0, None
        waited = False
        for required in node.requires:
            state = states.get(required)
            if state is None or not (state.down or state.time > 0):
                continue
            down = down or state.down
            if not waited or state.time > longest:
                longest, via, waited = state.time, required, True
            loss = max(loss, state.loss)
        for group in node.any_of:
            if not any(m in states for m in group):
                continue  # untouched by this failure
            members = [(m, states.get(m, UNTOUCHED)) for m in group]
            survivors = [(m, s) for m, s in members if not s.down]
            wait: float
            through: str | None
            if not survivors:  # the whole group is down: wait for the first member back
                through, state = self._first_back(members)
                down, wait = True, state.time
            elif len(survivors) < len(members):  # switch to a survivor
                through, state = self._first_back(survivors)
                wait = max(node.failover_time, state.time)
                if node.failover_time >= state.time:
                    through = None  # the failover itself sets the time
            else:  # every member up; some interrupted (failing over themselves)
                through, state = self._first_back(members)
                if not state.affected:
                    continue
                wait = state.time
            if not waited or wait > longest:
                longest, via, waited = wait, through, True
            loss = max(loss, state.loss)
        if not waited:
            via = None
        return State(down, longest + (node.recovery_time if own else 0), loss, via)

    def critical_path(self, service: str, states: dict[str, State]) -> list[str]:
        state = states.get(service, UNTOUCHED)
        if not state.affected:
            return []
        path = [service]
        while state.via is not None:
            path.append(state.via)
            state = states.get(state.via, UNTOUCHED)
        return path


@dataclass(frozen=True)
class ServiceOutcome:
    id: str
    rto: float | None
    rpo: float | None
    recovery_time: float
    data_loss: float
    critical_path: tuple[str, ...]

    @property
    def meets_rto(self) -> bool | None:
        return None if self.rto is None else self.recovery_time <= self.rto

    @property
    def meets_rpo(self) -> bool | None:
        return None if self.rpo is None else self.data_loss <= self.rpo


@dataclass(frozen=True)
class Analysis:
    scenario: str | None
    services: tuple[ServiceOutcome, ...]
    single_points_of_failure: tuple[tuple[str, tuple[str, ...]], ...]


def _outcomes(
    analyser: Analyser, worst: dict[str, tuple[float, float, list[str]]]
) -> tuple[ServiceOutcome, ...]:
    return tuple(
        ServiceOutcome(
            id=s.id,
            rto=s.rto,
            rpo=s.rpo,
            recovery_time=worst[s.id][0],
            data_loss=worst[s.id][1],
            critical_path=tuple(worst[s.id][2]),
        )
        for s in analyser.graph.services()
    )


def analyse(graph: Graph, scenario_id: str | None = None) -> Analysis:
    """One named scenario, or (without one) every node failing alone, the worst case kept.

    Single points of failure always come from the single failures.
    """
    analyser = Analyser(graph)
    services = graph.services()
    order = {s.id: index for index, s in enumerate(services)}
    worst: dict[str, tuple[float, float, list[str]]] = {s.id: (0.0, 0.0, []) for s in services}
    spof: list[tuple[str, tuple[str, ...]]] = []
    for node_id in graph.nodes:
        states = analyser.evaluate([node_id])
        missed = []
        # Only the services this failure reaches can change (the others stay untouched).
        for service_id in sorted((n for n in states if n in order), key=order.__getitem__):
            rto, state = graph.nodes[service_id].rto, states[service_id]
            time, loss, path = worst[service_id]
            if state.time > time or (not path and state.affected):
                path = analyser.critical_path(service_id, states)
            worst[service_id] = (max(time, state.time), max(loss, state.loss), path)
            if rto is not None and state.time > rto:
                missed.append(service_id)
        if missed:
            spof.append((node_id, tuple(missed)))
    if scenario_id is not None:
        scenario = graph.scenarios[scenario_id]
        states = analyser.evaluate(graph.failed_by(scenario))
        worst = {
            s.id: (
                states.get(s.id, UNTOUCHED).time,
                states.get(s.id, UNTOUCHED).loss,
                analyser.critical_path(s.id, states),
            )
            for s in services
        }
    return Analysis(scenario_id, _outcomes(analyser, worst), tuple(spof))


def _minutes(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 3)


def analysis_data(result: Analysis) -> dict[str, Any]:
    """The JSON contract of ``finres resilience analyse --format json`` (durations in minutes)."""
    return {
        "scenario": result.scenario,
        "services": [
            {
                "id": s.id,
                "rto": _minutes(s.rto),
                "rpo": _minutes(s.rpo),
                "recovery_time": _minutes(s.recovery_time),
                "data_loss": _minutes(s.data_loss),
                "meets_rto": s.meets_rto,
                "meets_rpo": s.meets_rpo,
                "critical_path": list(s.critical_path),
            }
            for s in result.services
        ],
        "single_points_of_failure": [
            {"node": node, "services": list(services)}
            for node, services in result.single_points_of_failure
        ],
    }
