"""The CISA Known Exploited Vulnerabilities catalogue: the set of CVE ids it lists.

KEV names no packages; it is joined to advisories through their CVE ids and aliases. The
catalogue is read as CISA publishes it: the JSON feed (``vulnerabilities[].cveID``) or the CSV
file (a ``cveID`` column).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from finres.core.supply_chain.errors import InputError, json_place

CVE: Final = re.compile(r"^CVE-\d{4}-\d{4,}$")
MAX_BYTES: Final = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Kev:
    """The catalogue's CVE ids (and its version, when it says)."""

    cves: frozenset[str]
    version: str | None = None

    def lists(self, identifiers: tuple[str, ...]) -> bool:
        return any(identifier in self.cves for identifier in identifiers)


def load_kev(path: Path) -> Kev:
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(source, error.strerror or str(error)) from None
    if len(raw) > MAX_BYTES:
        raise InputError(source, f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(source, f"not UTF-8 text: {error.reason}") from None
    if text.lstrip().startswith("{"):
        return _from_json(text, source)
    return _from_csv(text, source)


def _check(cve: object, source: str, place: str) -> str:
    if not isinstance(cve, str) or not CVE.match(cve.strip()):
        raise InputError(source, f"not a CVE id: {cve!r}", place)
    return cve.strip()


def _from_json(text: str, source: str) -> Kev:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            source, f"not valid JSON: {error.msg}", f"line {error.lineno}, column {error.colno}"
        ) from None
    entries = data.get("vulnerabilities") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InputError(source, "not a KEV catalogue (no vulnerabilities list)", "vulnerabilities")
    cves = set()
    for i, entry in enumerate(entries):
        place = json_place(["vulnerabilities", i, "cveID"])
        if not isinstance(entry, dict):
            raise InputError(source, "expected an object", json_place(["vulnerabilities", i]))
        cves.add(_check(entry.get("cveID"), source, place))
    version = data.get("catalogVersion")
    return Kev(frozenset(cves), str(version) if version is not None else None)


def _from_csv(text: str, source: str) -> Kev:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "cveID" not in reader.fieldnames:
        raise InputError(source, "not a KEV catalogue (JSON, or CSV with a cveID column)", "line 1")
    cves = {_check(row["cveID"], source, f"line {reader.line_num}") for row in reader}
    return Kev(frozenset(cves))
