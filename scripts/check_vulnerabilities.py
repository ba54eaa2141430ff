"""Check the locked dependency versions against OSV advisories for PyPI, offline.

    python scripts/check_vulnerabilities.py [--advisories DIR] [LOCK_FILE ...]

Reads every ``name==version`` pinned in the lock files (default: requirements.lock and
requirements-dev.lock) and matches each against the OSV advisories under the advisory folder
(default: the PyPA advisory database in the shared data folder beside the repository, or
``FINRES_OSV_DIR``) with the project's own OSV index (``finres.core.supply_chain.osv``, the one
``finres sbom scan`` uses): versions listed by an advisory, and ``ECOSYSTEM`` ranges evaluated
as the OSV schema says in PEP 440 order. Withdrawn advisories are skipped; a version that
cannot be ordered against a range, or an entry with only GIT ranges, counts as affected (a
person decides).

Exit status: 0 when no locked version is affected, 1 when some are (each is listed with the
advisory, its aliases and the fixed versions), 2 when the lock or the advisories cannot be read.
An advisory that does not apply can be accepted in ``osv-accepted.txt`` beside the lock files
(``ID  reason`` per line); an accepted advisory that no longer matches is reported, so the
list does not outlive its reason.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from finres.core.supply_chain.ecosystems import BY_OSV, pep503
from finres.core.supply_chain.errors import InputError
from finres.core.supply_chain.osv import load_index

REPO = Path(__file__).resolve().parent.parent
DEFAULT_LOCKS = (REPO / "requirements.lock", REPO / "requirements-dev.lock")
DEFAULT_ADVISORIES = REPO.parent / "shared" / "data" / "osv" / "pypi-pypa-advisory-database"
ACCEPTED = REPO / "osv-accepted.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


class CheckError(Exception):
    """The lock files or the advisories cannot be read."""


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return pep503(name)


def read_lock(path: Path) -> dict[str, list[str]]:
    """``{canonical name: [versions]}`` of every exact pin in a requirements-style lock file
    (a universal lock may pin two versions of one package under different markers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CheckError(f"{path}: {error.strerror or error}") from None
    pins: dict[str, list[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "--")):
            continue
        match = PIN.match(line)
        if match is None:
            raise CheckError(f"{path}:{number}: not an exact pin (name==version): {line!r}")
        versions = pins.setdefault(canonical(match.group(1)), [])
        if match.group(2) not in versions:
            versions.append(match.group(2))
    if not pins:
        raise CheckError(f"{path}: no pinned packages")
    return pins


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    aliases: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()

    def __str__(self) -> str:
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        fixed = f"; fixed in {', '.join(self.fixed)}" if self.fixed else "; no fixed version"
        return f"{self.package} {self.version}: {self.advisory}{aliases}{fixed}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    advisories: int = 0
    warnings: list[str] = field(default_factory=list)


def check(pins: dict[str, list[str]], folder: Path) -> Report:
    """Every locked version that an advisory under ``folder`` affects."""
    if not folder.is_dir():
        raise CheckError(
            f"{folder}: no OSV advisory folder (give --advisories DIR or set FINRES_OSV_DIR)"
        )
    try:
        index = load_index([folder])
    except InputError as error:
        raise CheckError(str(error)) from None
    report = Report(advisories=index.stats.records)
    pypi = BY_OSV["PyPI"]
    for package in sorted(pins):
        for version in pins[package]:
            for hit in index.match(pypi, pep503(package), version):
                advisory = hit.affected.advisory
                if hit.reason in ("unordered", "git"):  # cannot be decided offline
                    report.warnings.append(
                        f"{advisory.id}: {package} {version} cannot be decided offline "
                        f"({hit.reason}): review it, then fix or accept it"
                    )
                report.findings.append(
                    Finding(package, version, advisory.id, advisory.aliases, hit.fixed)
                )
    return report


def read_accepted(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    accepted = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            identifier, _, reason = line.partition(" ")
            if not reason.strip():
                raise CheckError(f"{path}: {identifier}: give the reason it is accepted")
            accepted[identifier] = reason.strip()
    return accepted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("locks", nargs="*", type=Path, help="lock files (default: both)")
    parser.add_argument("--advisories", type=Path, default=None, help="OSV advisory folder")
    parser.add_argument("--accepted", type=Path, default=ACCEPTED, help="accepted advisories")
    args = parser.parse_args(argv)
    folder = args.advisories or Path(os.environ.get("FINRES_OSV_DIR") or DEFAULT_ADVISORIES)
    try:
        pins: dict[str, list[str]] = {}
        for lock in args.locks or DEFAULT_LOCKS:
            for name, versions in read_lock(lock).items():
                pins.setdefault(name, [])
                pins[name] += [v for v in versions if v not in pins[name]]
        report = check(pins, folder)
        accepted = read_accepted(args.accepted)
    except CheckError as error:
        sys.stderr.write(f"check_vulnerabilities: error: {error}\n")
        return 2
    for warning in report.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    open_findings = [f for f in report.findings if f.advisory not in accepted]
    stale = sorted(set(accepted) - {f.advisory for f in report.findings})
    for finding in open_findings:
        sys.stdout.write(f"VULNERABLE {finding}\n")
    for identifier in stale:
        sys.stdout.write(f"STALE accepted advisory no longer matches: {identifier}\n")
    count = sum(map(len, pins.values()))
    sys.stdout.write(
        f"{count} locked versions checked against {report.advisories} OSV advisories "
        f"({folder}): {len(open_findings)} vulnerable, "
        f"{len(report.findings) - len(open_findings)} accepted\n"
    )
    return 1 if open_findings or stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
