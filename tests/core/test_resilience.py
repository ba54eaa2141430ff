"""The recovery analysis (finres.core.resilience): worked examples computed by hand, the file
format's errors, and properties that hold for every graph."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finres.core.resilience import GraphError, analyse, analysis_data, build_graph, parse_duration

# A trading service on an application with a database and two data centres (docs/resilience.md).
EXAMPLE: dict[str, Any] = {
    "nodes": [
        {"id": "svc", "kind": "service", "rto": "2h", "rpo": "30m", "requires": ["app"]},
        {
            "id": "app",
            "kind": "system",
            "recovery_time": "1h",
            "recovery_point": "15m",
            "requires": ["db"],
            "any_of": [["dc1", "dc2"]],
            "failover_time": "20m",
        },
        {"id": "db", "kind": "data_store", "recovery_time": "3h", "recovery_point": "1h"},
        {"id": "dc1", "kind": "site", "recovery_time": "1d", "tags": ["north"]},
        {"id": "dc2", "kind": "site", "recovery_time": "2d", "tags": ["north"]},
    ],
    "scenarios": [
        {"id": "both-sites", "fail_tagged": ["north"]},
        {"id": "one-site", "fail": ["dc1"]},
        {"id": "db-and-app", "fail": ["db", "app"]},
    ],
}


def result(data: dict[str, Any], scenario: str | None = None) -> dict[str, Any]:
    return analysis_data(analyse(build_graph(data), scenario))


def service(data: dict[str, Any], scenario: str | None = None, sid: str = "svc") -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in result(data, scenario)["services"] if s["id"] == sid)
    return found


def test_durations() -> None:
    assert parse_duration("30m") == 30
    assert parse_duration("4h") == 240
    assert parse_duration("2d") == 2880
    assert parse_duration("1h30m") == 90
    assert parse_duration("1.5h") == 90
    assert parse_duration(0) == 0
    for bad in ("30", "4 hours", "h", "-1h", "1h 2x", 15, True, None, "1y"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_worst_single_failure_is_the_database() -> None:
    out = result(EXAMPLE)
    assert out["scenario"] is None
    assert out["services"] == [
        {
            "id": "svc",
            "rto": 120,
            "rpo": 30,
            "recovery_time": 180,  # the database's 3h; the app did not fail itself
            "data_loss": 60,
            "meets_rto": False,
            "meets_rpo": False,
            "critical_path": ["svc", "app", "db"],
        }
    ]
    assert out["single_points_of_failure"] == [{"node": "db", "services": ["svc"]}]


def test_a_site_lost_costs_the_failover_time() -> None:
    one = service(EXAMPLE, "one-site")
    assert (one["recovery_time"], one["data_loss"], one["meets_rto"]) == (20, 0, True)
    assert one["critical_path"] == ["svc", "app"]  # the failover of app sets the time


def test_both_sites_lost_waits_for_the_first_one_back() -> None:
    both = service(EXAMPLE, "both-sites")
    assert both["recovery_time"] == 1440  # dc1 (1d) is back before dc2 (2d)
    assert both["critical_path"] == ["svc", "app", "dc1"]
    assert both["meets_rto"] is False and both["meets_rpo"] is True


def test_a_failed_node_adds_its_own_time_after_what_it_waits_for() -> None:
    both = service(EXAMPLE, "db-and-app")
    assert both["recovery_time"] == 180 + 60  # db first, then app itself
    assert both["data_loss"] == 60  # the largest recovery point among the failed nodes
    assert both["critical_path"] == ["svc", "app", "db"]


def test_a_survivor_means_no_data_loss_from_the_lost_alternative() -> None:
    data = {
        "nodes": [
            {"id": "s", "kind": "service", "rto": "1h", "rpo": "0", "any_of": [["a", "b"]]},
            {"id": "a", "kind": "system", "recovery_time": "5h", "recovery_point": "2h"},
            {"id": "b", "kind": "system", "recovery_time": "1h", "recovery_point": "4h"},
        ],
        "scenarios": [{"id": "a", "fail": ["a"]}, {"id": "ab", "fail": ["a", "b"]}],
    }
    a = service(data, "a", "s")
    assert (a["recovery_time"], a["data_loss"], a["meets_rpo"]) == (0, 0, True)
    ab = service(data, "ab", "s")
    assert (ab["recovery_time"], ab["data_loss"]) == (60, 240)  # b is back first, losing 4h
    assert ab["critical_path"] == ["s", "b"]
    assert result(data)["single_points_of_failure"] == []


def test_shared_infrastructure_is_a_single_point_of_failure_of_several_services() -> None:
    data = {
        "nodes": [
            {"id": "web", "kind": "service", "rto": "4h", "rpo": "1h", "requires": ["net"]},
            {"id": "app", "kind": "service", "rto": "30m", "rpo": "1h", "requires": ["net"]},
            {"id": "batch", "kind": "service", "rto": "1d", "rpo": "1d", "requires": ["vendor"]},
            {"id": "net", "kind": "infrastructure", "recovery_time": "2h"},
            {"id": "vendor", "kind": "supplier", "recovery_time": "3d"},
        ]
    }
    out = result(data)
    assert out["single_points_of_failure"] == [
        {"node": "net", "services": ["app"]},
        {"node": "vendor", "services": ["batch"]},
    ]
    assert [s["meets_rto"] for s in out["services"]] == [True, False, False]


def test_a_service_without_objectives_is_measured_but_not_judged() -> None:
    data = {
        "nodes": [
            {"id": "s", "kind": "service", "requires": ["x"]},
            {"id": "x", "kind": "system", "recovery_time": "2h"},
        ]
    }
    s = result(data)["services"][0]
    assert (s["rto"], s["meets_rto"], s["recovery_time"]) == (None, None, 120)
    assert result(data)["single_points_of_failure"] == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"nodes": [{"id": "a", "kind": "service", "requires": ["ghost"]}]}, "unknown node ghost"),
        (
            {
                "nodes": [
                    {"id": "a", "kind": "system", "requires": ["b"]},
                    {"id": "b", "kind": "system", "requires": ["a"]},
                ]
            },
            "dependency cycle: a → b → a",
        ),
        ({"nodes": [{"id": "a", "kind": "system", "recovery_time": "4"}]}, "is not a duration"),
        ({"nodes": [{"id": "a", "kind": "castle"}]}, "unknown kind castle"),
        ({"nodes": [{"id": "a", "kind": "system"}, {"id": "a", "kind": "site"}]}, "duplicate"),
        ({"nodes": [{"id": "a", "kind": "system", "rto": "1h"}]}, "rto belongs to services"),
        ({"nodes": [{"id": "a", "kind": "system", "color": "red"}]}, "unknown field color"),
        (
            {"nodes": [{"id": "a", "kind": "system"}], "scenarios": [{"id": "x", "fail": ["b"]}]},
            "scenario x: unknown node b",
        ),
        (
            {"nodes": [{"id": "a", "kind": "system"}], "scenarios": [{"id": "x"}]},
            "fail or fail_tagged",
        ),
        ({"nodes": []}, "expected a list of nodes"),
        ([], "expected a mapping"),
    ],
)
def test_a_malformed_graph_is_refused_with_the_place(data: Any, expected: str) -> None:
    with pytest.raises(GraphError) as error:
        build_graph(data, "graph.yaml")
    assert expected in error.value.message("en")
    assert error.value.message("en").startswith("graph.yaml: ")


# --- properties -----------------------------------------------------------------------------------

KINDS = ["process", "system", "infrastructure", "data_store", "supplier", "site"]


@st.composite
def graphs(draw: Any) -> dict[str, Any]:
    """Random acyclic graphs: node i depends only on nodes with a larger index."""
    size = draw(st.integers(2, 9))
    nodes = []
    for i in range(size):
        later = [f"n{j}" for j in range(i + 1, size)]
        node: dict[str, Any] = {
            "id": f"n{i}",
            "kind": "service" if i < 2 else draw(st.sampled_from(KINDS)),
            "recovery_time": f"{draw(st.integers(0, 600))}m",
            "recovery_point": f"{draw(st.integers(0, 600))}m",
            "failover_time": f"{draw(st.integers(0, 60))}m",
        }
        if i < 2:
            node["rto"] = f"{draw(st.integers(0, 900))}m"
            node["rpo"] = f"{draw(st.integers(0, 900))}m"
        if later:
            node["requires"] = draw(st.lists(st.sampled_from(later), unique=True, max_size=2))
            groups = draw(
                st.lists(
                    st.lists(st.sampled_from(later), min_size=1, max_size=3, unique=True),
                    max_size=2,
                )
            )
            node["any_of"] = groups
        nodes.append(node)
    return {"nodes": nodes}


@settings(max_examples=60, deadline=None)
@given(graphs(), st.data())
def test_more_failures_never_bring_a_node_back(data: dict[str, Any], more: Any) -> None:
    """Down-ness is monotone in the failed set. (Recovery time is not: when the last survivor
    of an alternative group fails too, the wait becomes the first member back, which may be
    shorter than the failover time. The model says so; this test does not claim more.)"""
    graph = build_graph(data)
    ids = list(graph.nodes)
    small = more.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    large = sorted(set(small) | set(more.draw(st.lists(st.sampled_from(ids), unique=True))))
    from finres.core.resilience import Analyser

    analyser = Analyser(graph)
    before, after = analyser.evaluate(small), analyser.evaluate(large)
    for node in ids:
        if node in before:
            assert node in after
            assert after[node].down >= before[node].down


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_worst_single_failure_bounds_and_spof_agree(data: dict[str, Any]) -> None:
    graph = build_graph(data)
    out = analysis_data(analyse(graph))
    total = sum(n.recovery_time + n.failover_time for n in graph.nodes.values())
    spof_services = {s for item in out["single_points_of_failure"] for s in item["services"]}
    for s in out["services"]:
        assert 0 <= s["recovery_time"] <= total
        # A service misses its RTO in the worst single failure exactly when a SPOF names it.
        assert (s["meets_rto"] is False) == (s["id"] in spof_services)
        path = s["critical_path"]
        assert (path == []) or (path[0] == s["id"])
        for a, b in itertools.pairwise(path):
            assert b in graph.digraph.successors(a)  # the path follows dependencies


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_nothing_failed_nothing_lost(data: dict[str, Any]) -> None:
    from finres.core.resilience import Analyser

    assert Analyser(build_graph(data)).evaluate([]) == {}


def test_an_empty_name_stays_empty() -> None:
    graph = build_graph(
        {
            "nodes": [{"id": "a", "kind": "service", "name": None, "rto": "1h"}],
            "scenarios": [{"id": "s", "name": None, "fail": ["a"]}],
        }
    )
    assert graph.nodes["a"].name == "" and graph.scenarios["s"].name == ""


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_a_services_own_dependencies_give_its_own_outcome(data: dict[str, Any]) -> None:
    """``dependencies_of`` keeps a node and everything it needs, nothing else: a service's
    outcome on that part alone is its outcome on the whole graph."""
    import networkx as nx

    graph = build_graph(data)
    whole = {s["id"]: s for s in analysis_data(analyse(graph))["services"]}
    for service in graph.services():
        own = graph.dependencies_of(service.id)
        assert set(own.nodes) == {service.id} | nx.descendants(graph.digraph, service.id)
        assert set(own.digraph.edges) == {
            (a, b) for a, b in graph.digraph.edges if a in own.nodes and b in own.nodes
        }
        alone = {s["id"]: s for s in analysis_data(analyse(own))["services"]}
        assert alone[service.id] == whole[service.id]
