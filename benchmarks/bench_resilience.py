"""Benchmark of the recovery analysis on a large institution's dependency graph.

Run with ``.venv/bin/python benchmarks/bench_resilience.py``. It builds a layered graph (300
services, 900 processes, 10,000 systems, 1,500 infrastructure nodes and data stores, 2,000
suppliers, 12 sites; about 60,000 edges, with alternative groups across sites), then times
validation, the analysis of every service under every single failure (which also finds the
single points of failure) and the analysis of one scenario, with peak memory.
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc
from typing import Any

from finres.core.resilience import Analyser, analyse, build_graph


def large_graph(
    services: int = 300,
    processes: int = 900,
    systems: int = 10_000,
    infrastructure: int = 1_500,
    suppliers: int = 2_000,
    sites: int = 12,
    seed: int = 20261206,
) -> dict[str, Any]:
    rng = random.Random(seed)

    def minutes(low: int, high: int) -> str:
        return f"{rng.randrange(low, high)}m"

    site_ids = [f"site-{i}" for i in range(sites)]
    supplier_ids = [f"supplier-{i}" for i in range(suppliers)]
    infra_ids = [f"infra-{i}" for i in range(infrastructure)]
    system_ids = [f"system-{i}" for i in range(systems)]
    process_ids = [f"process-{i}" for i in range(processes)]
    nodes: list[dict[str, Any]] = []
    for i in range(services):
        nodes.append(
            {
                "id": f"service-{i}",
                "kind": "service",
                "rto": minutes(60, 1440),
                "rpo": minutes(0, 240),
                "requires": rng.sample(process_ids, 3),
            }
        )
    for pid in process_ids:
        nodes.append({"id": pid, "kind": "process", "requires": rng.sample(system_ids, 12)})
    for sid in system_ids:
        pair = rng.sample(site_ids, 2)
        nodes.append(
            {
                "id": sid,
                "kind": "system",
                "recovery_time": minutes(30, 600),
                "recovery_point": minutes(0, 240),
                "requires": rng.sample(infra_ids, 2) + rng.sample(supplier_ids, 1),
                "any_of": [pair],
                "failover_time": minutes(5, 120),
                "tags": [rng.choice(["windows", "linux", "mainframe"])],
            }
        )
    for iid in infra_ids:
        nodes.append(
            {
                "id": iid,
                "kind": rng.choice(["infrastructure", "data_store"]),
                "recovery_time": minutes(30, 900),
                "recovery_point": minutes(0, 120),
                "any_of": [rng.sample(site_ids, 2)],
                "failover_time": minutes(5, 60),
            }
        )
    for sup in supplier_ids:
        nodes.append({"id": sup, "kind": "supplier", "recovery_time": minutes(60, 4320)})
    for site in site_ids:
        nodes.append({"id": site, "kind": "site", "recovery_time": "3d"})
    scenarios = [{"id": "ransomware-windows", "fail_tagged": ["windows"], "fail": [site_ids[0]]}]
    return {"nodes": nodes, "scenarios": scenarios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    data = large_graph()
    started = time.process_time()
    graph = build_graph(data)
    built = time.process_time()
    edges = graph.digraph.number_of_edges()
    every = analyse(graph)
    swept = time.process_time()
    states = Analyser(graph).evaluate(graph.failed_by(graph.scenarios["ransomware-windows"]))
    done = time.process_time()
    tracemalloc.start()
    analyse(graph, "ransomware-windows")
    peak = tracemalloc.get_traced_memory()[1]
    missing = sum(1 for s in every.services if s.meets_rto is False)
    down = sum(1 for s in graph.services() if s.id in states and states[s.id].down)
    print(f"graph: {len(graph.nodes):,} nodes, {edges:,} edges (CPU seconds below)")
    print(f"validate and build: {built - started:.2f} s")
    print(
        f"every service under every single failure: {swept - built:.2f} s "
        f"({missing} services miss their RTO, "
        f"{len(every.single_points_of_failure)} single points of failure)"
    )
    print(f"one scenario, every service: {done - swept:.3f} s ({down} services down)")
    print(f"peak memory of a whole analysis: {peak / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
