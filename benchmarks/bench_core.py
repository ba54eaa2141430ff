"""Benchmarks of the core: loading the library and answering applicability questions.

Run with ``.venv/bin/python benchmarks/bench_core.py`` (``--profiles N`` to change the load).
It prints the time to load and validate the shipped library from disk, and the latency of
``applicable()`` over many generated institution profiles, with peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
import tracemalloc

from finres.core.applicability import applicable
from finres.core.library.loader import CONTENT_DIR, load_paths
from finres.core.profile import InstitutionProfile
from finres.core.vocab import Industry, Use


def generated_profiles(count: int, seed: int = 20261121) -> list[InstitutionProfile]:
    rng = random.Random(seed)
    uses = list(Use)
    return [
        InstitutionProfile(
            name=f"institution-{i}",
            industry=rng.choice(list(Industry)),
            paid_in_capital=rng.randrange(0, 60_000_000_000),
            internet_order=rng.random() < 0.7,
            uses=frozenset(rng.sample(uses, rng.randrange(0, len(uses)))),
        )
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=2000)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()

    tracemalloc.start()
    load_times = []
    for _ in range(args.loads):
        start = time.perf_counter()
        library = load_paths([CONTENT_DIR / "frameworks", CONTENT_DIR / "mappings"])
        load_times.append(time.perf_counter() - start)
    _, load_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    nodes = sum(len(fw.requirements) for fw in library.frameworks.values())
    mappings = sum(len(ms.mappings) for ms in library.mapping_sets)
    print(f"library: {len(library.frameworks)} frameworks, {nodes} nodes, {mappings} mappings")
    print(
        f"load+validate: median {statistics.median(load_times) * 1000:.1f} ms "
        f"(peak memory {load_peak / 2**20:.1f} MiB)"
    )

    profiles = generated_profiles(args.profiles)
    latencies = []
    found = 0
    as_of = dt.date(2026, 6, 30)
    for profile in profiles:
        start = time.perf_counter()
        result = applicable(library, profile, as_of, include_voluntary=True)
        latencies.append(time.perf_counter() - start)
        found += len(result.requirements)
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95)]
    print(
        f"applicable(): {len(profiles)} profiles, median "
        f"{statistics.median(latencies) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, "
        f"{found / len(profiles):.0f} requirements per profile on average"
    )


if __name__ == "__main__":
    main()
