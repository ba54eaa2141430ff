"""Check the locked dependency versions against OSV advisories for PyPI, offline.

    python scripts/check_vulnerabilities.py [--advisories DIR] [LOCK_FILE ...]

Reads every ``name==version`` pinned in the lock files (default: requirements.lock and
requirements-dev.lock) and every OSV JSON advisory under the advisory folder (default: the
PyPA advisory database in the shared data folder beside the repository, or
``FINRES_OSV_DIR``). A version is affected when an advisory for its package lists it in
``versions`` or when it falls in one of its ``ECOSYSTEM`` ranges, evaluated as the OSV schema
says (events sorted by version; introduced / fixed / last_affected / limit) with PEP 440
ordering (``packaging``). Withdrawn advisories are skipped.

Exit status: 0 when no locked version is affected, 1 when some are (each is listed with the
advisory, its aliases and the fixed versions), 2 when the lock or the advisories cannot be read.
An advisory that does not apply can be accepted in ``osv-accepted.txt`` beside the lock files
(``ID  reason`` per line); an accepted advisory that no longer matches is reported, so the
list does not outlive its reason.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

REPO = Path(__file__).resolve().parent.parent
DEFAULT_LOCKS = (REPO / "requirements.lock", REPO / "requirements-dev.lock")
DEFAULT_ADVISORIES = REPO.parent / "shared" / "data" / "osv" / "pypi-pypa-advisory-database"
ACCEPTED = REPO / "osv-accepted.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


class CheckError(Exception):
    """The lock files or the advisories cannot be read."""


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


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
    summary: str = ""

    def __str__(self) -> str:
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        fixed = f"; fixed in {', '.join(self.fixed)}" if self.fixed else "; no fixed version"
        return f"{self.package} {self.version}: {self.advisory}{aliases}{fixed}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    advisories: int = 0
    warnings: list[str] = field(default_factory=list)


def _event_version(event: dict[str, str]) -> Version:
    (value,) = event.values()
    return Version("0") if value == "0" else Version(value)


def in_range(version: Version, events: Sequence[dict[str, str]]) -> bool:
    """Whether ``version`` is inside one OSV range (the schema's evaluation algorithm)."""
    limits = [Version(e["limit"]) for e in events if "limit" in e and e["limit"] != "*"]
    if limits and not any(version < limit for limit in limits):
        return False
    ordered = sorted((e for e in events if "limit" not in e), key=_event_version)
    affected = False
    for event in ordered:
        if "introduced" in event:
            if event["introduced"] == "0" or version >= Version(event["introduced"]):
                affected = True
        elif "fixed" in event:
            if version >= Version(event["fixed"]):
                affected = False
        elif "last_affected" in event and version > Version(event["last_affected"]):
            affected = False
    return affected


def affected_by(advisory: dict[str, Any], package: str, version: str) -> tuple[bool, list[str]]:
    """Whether ``package==version`` is affected; also the fixed versions named (for the report).

    Raises ``InvalidVersion`` when a range of this package cannot be evaluated and its
    ``versions`` list does not settle the question.
    """
    hit = False
    fixed: list[str] = []
    for entry in advisory.get("affected", []):
        target = entry.get("package", {})
        if target.get("ecosystem") != "PyPI" or canonical(target.get("name", "")) != package:
            continue
        listed = entry.get("versions") or []
        if version in listed:
            hit = True
        for range_ in entry.get("ranges", []):
            if range_.get("type") != "ECOSYSTEM":
                continue  # GIT ranges name commits, not releases
            events = range_.get("events", [])
            fixed += [e["fixed"] for e in events if "fixed" in e]
            if hit:
                continue
            try:
                hit = in_range(Version(version), events)
            except InvalidVersion:
                if not listed:
                    raise
    return hit, fixed


def advisories_in(folder: Path) -> Iterable[tuple[Path, dict[str, Any]]]:
    if not folder.is_dir():
        raise CheckError(
            f"{folder}: no OSV advisory folder (give --advisories DIR or set FINRES_OSV_DIR)"
        )
    files = sorted(folder.rglob("*.json"))
    if not files:
        raise CheckError(f"{folder}: no OSV advisories (*.json) in it")
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CheckError(f"{path}: not an OSV advisory: {error}") from None
        if not isinstance(data, dict) or "id" not in data:
            raise CheckError(f"{path}: not an OSV advisory (no id)")
        yield path, data


def check(pins: dict[str, list[str]], folder: Path) -> Report:
    report = Report()
    for path, advisory in advisories_in(folder):
        report.advisories += 1
        if advisory.get("withdrawn"):
            continue
        names = {
            canonical(entry.get("package", {}).get("name", ""))
            for entry in advisory.get("affected", [])
        }
        pairs = sorted((name, version) for name in names & pins.keys() for version in pins[name])
        for package, version in pairs:
            try:
                hit, fixed = affected_by(advisory, package, version)
            except InvalidVersion as error:
                report.warnings.append(f"{path.name}: cannot evaluate {package} {version}: {error}")
                hit, fixed = True, []  # fail closed: a human decides
            if hit:
                report.findings.append(
                    Finding(
                        package,
                        version,
                        str(advisory["id"]),
                        tuple(advisory.get("aliases") or ()),
                        tuple(dict.fromkeys(fixed)),
                        str(advisory.get("summary") or advisory.get("details") or "")[:200],
                    )
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
