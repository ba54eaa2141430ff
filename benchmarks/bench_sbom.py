"""Benchmark of SBOM vulnerability matching: 4,000 components against ~250,000 OSV records.

Run with ``.venv/bin/python benchmarks/bench_sbom.py`` (``--records N --components N``).

The advisory set is synthesised in the shape of the real records in the shared data folder
(GHSA/PYSEC records of PyPI, npm and Maven: aliases, a CVSS v3 vector on most, one or two
affected entries, ECOSYSTEM ranges of one or two intervals with introduced/fixed and sometimes
last_affected, enumerated ``versions`` lists; a small share withdrawn), about the size of the
full PyPI, npm and Maven OSV databases together. Package popularity is skewed as in the real
databases: a few packages have dozens of advisories, most have one. Records are generated as
a stream and only the index keeps them, as when a dump is read file by file.

It prints the time to build the index, the time of a first scan (the index's version cache
cold) and of a second scan of another SBOM (warm: the index built once and reused), the
number of matches, and the process's peak resident memory. The real PyPI advisory database
is loaded from disk too when the shared data folder is beside the repository.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from finres.core.supply_chain import AdvisoryIndex, Component, Kev, load_index, scan, scan_data

REPO = Path(__file__).resolve().parent.parent
PYPA = REPO.parent / "shared" / "data" / "osv" / "pypi-pypa-advisory-database"
ECOSYSTEMS = (("PyPI", "pypi", 0.25), ("npm", "npm", 0.5), ("Maven", "maven", 0.25))
VECTORS = (
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
)


def _package(ecosystem: str, number: int) -> str:
    if ecosystem == "Maven":
        return f"org.example{number % 997}:artifact-{number}"
    if ecosystem == "npm" and number % 5 == 0:
        return f"@scope{number % 89}/pkg-{number}"
    return f"pkg-{number}"


def _purl(purl_type: str, name: str, version: str) -> str:
    if purl_type == "maven":
        group, artifact = name.split(":")
        return f"pkg:maven/{group}/{artifact}@{version}"
    if name.startswith("@"):
        scope, rest = name.split("/")
        return f"pkg:npm/%40{scope[1:]}/{rest}@{version}"
    return f"pkg:{purl_type}/{name}@{version}"


def _release(rng: random.Random, major: int) -> tuple[int, int, int]:
    return (major, rng.randrange(0, 20), rng.randrange(0, 30))


def _text(v: tuple[int, int, int]) -> str:
    return f"{v[0]}.{v[1]}.{v[2]}"


class Universe:
    """Packages per ecosystem and how many advisories each has, shaped like the OSV databases.

    A head of well-known packages carries most advisories, a few hundred for the most
    advised (as Django, TensorFlow or Jackson do) and one or two for most; a long tail of
    packages has one record each (as npm's malicious-package records do). SBOM components are
    drawn from the head, which is where real applications' dependencies are.
    """

    HEAD = 6_000

    def __init__(self, records: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.head: list[tuple[str, str, str]] = []  # (ecosystem, purl type, name)
        self.counts: list[int] = []
        number = 0
        for ecosystem, purl_type, share in ECOSYSTEMS:
            for k in range(int(self.HEAD * share)):
                self.head.append((ecosystem, purl_type, _package(ecosystem, number)))
                self.counts.append(1 + int(300 / (k + 1) ** 0.7))
                number += 1
        self.tail = max(records - sum(self.counts), 0)
        self.first_tail = number

    def records(self, count: int) -> Iterator[tuple[dict[str, Any], str]]:
        rng = self.rng
        i = 0
        for (ecosystem, _, name), many in zip(self.head, self.counts, strict=True):
            for _ in range(many):
                if i == count:
                    return
                yield self._record(rng, i, ecosystem, name), "synthetic"
                i += 1
        number = self.first_tail
        while i < count:
            ecosystem = "npm" if rng.random() < 0.8 else rng.choice(("PyPI", "Maven"))
            yield self._record(rng, i, ecosystem, _package(ecosystem, number)), "synthetic"
            number += 1
            i += 1

    def _record(self, rng: random.Random, i: int, ecosystem: str, name: str) -> dict[str, Any]:
        major = rng.randrange(0, 6)
        introduced = _release(rng, major)
        fixed = (major, introduced[1] + rng.randrange(1, 5), rng.randrange(0, 10))
        events: list[dict[str, str]] = [
            {"introduced": "0" if rng.random() < 0.4 else _text(introduced)}
        ]
        roll = rng.random()
        if roll < 0.8:
            events.append({"fixed": _text(fixed)})
        elif roll < 0.9:
            events.append({"last_affected": _text(fixed)})
        if rng.random() < 0.2:  # a second interval on an older line, listed after the first
            old = max(major - 1, 0)
            events += [{"introduced": f"{old}.0.0"}, {"fixed": f"{old}.9.{rng.randrange(1, 9)}"}]
        versions = [
            f"{major}.{minor}.{patch}"
            for minor in range(introduced[1], min(fixed[1], introduced[1] + 4))
            for patch in range(0, rng.randrange(1, 8))
        ]
        cve = f"CVE-{2015 + i % 11}-{10000 + i}"
        record: dict[str, Any] = {
            "id": f"GHSA-{i:04x}-bench-{i % 7919:04x}",
            "aliases": [cve],
            "affected": [
                {
                    "package": {"ecosystem": ecosystem, "name": name},
                    "ranges": [{"type": "ECOSYSTEM", "events": events}],
                    "versions": versions,
                }
            ],
        }
        if rng.random() < 0.7:
            record["severity"] = [{"type": "CVSS_V3", "score": rng.choice(VECTORS)}]
        if rng.random() < 0.01:
            record["withdrawn"] = "2024-01-01T00:00:00Z"
        return record

    def components(self, count: int, seed: int, most_advised: int = 0) -> list[Component]:
        """Components of head packages; only of the ``most_advised`` ones when given."""
        rng = random.Random(seed)
        pool = sorted(range(len(self.head)), key=lambda k: -self.counts[k])
        pool = pool[:most_advised] if most_advised else pool
        out = []
        for n in range(count):
            _, purl_type, name = self.head[rng.choice(pool)]
            if not most_advised and n % 10 < 3:  # some are packages with no advisory at all
                name = f"{name}-unadvised"
            version = _text(_release(rng, rng.randrange(0, 6)))
            out.append(Component(name, version, _purl(purl_type, name, version), f"ref-{n}"))
        return out


def peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=250_000)
    parser.add_argument("--components", type=int, default=4_000)
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()

    cpu = time.process_time()
    for _ in Universe(args.records, args.seed).records(args.records):
        pass
    synthesis = time.process_time() - cpu
    universe = Universe(args.records, args.seed)
    start, cpu = time.perf_counter(), time.process_time()
    index = AdvisoryIndex.build(universe.records(args.records))
    built, cpu = time.perf_counter() - start, time.process_time() - cpu - synthesis
    # The index lives as long as the process: keep the collector from walking it on every
    # full collection (finres sbom scan does the same).
    gc.freeze()
    stats = index.stats
    print(
        f"index: {stats.records:,} records ({stats.withdrawn:,} withdrawn), "
        f"{stats.entries:,} affected entries over {stats.packages:,} packages "
        f"built in {built:.2f} s wall ({cpu:.2f} s CPU, without the {synthesis:.2f} s CPU "
        "of synthesising the records)"
    )
    kev = Kev(frozenset(f"CVE-{2015 + i % 11}-{10000 + i}" for i in range(0, args.records, 181)))
    for label, seed, most_advised in (
        ("first scan (cold cache)", 1, 0),
        ("second scan, another SBOM", 2, 0),
        ("worst case: every component one of the 50 most advised packages", 3, 50),
    ):
        components = universe.components(args.components, seed, most_advised)
        start, cpu = time.perf_counter(), time.process_time()
        results = scan(components, index, kev)
        scan_data(results, "en")  # the JSON contract, with every explanation
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        matches = sum(len(r.vulnerabilities) for r in results)
        affected = sum(1 for r in results if r.vulnerabilities)
        in_kev = sum(v.kev for r in results for v in r.vulnerabilities)
        print(
            f"{label}: {len(components):,} components in {took:.2f} s ({cpu:.2f} s CPU): "
            f"{affected:,} affected, {matches:,} matches, {in_kev:,} in KEV"
        )
    print(f"peak resident memory: {peak_mb():.0f} MB")
    if PYPA.is_dir():
        start = time.perf_counter()
        real = load_index([PYPA])
        print(
            f"real PyPA database from disk: {real.stats.records:,} files "
            f"in {time.perf_counter() - start:.2f} s"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
