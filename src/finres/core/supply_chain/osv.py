"""OSV advisories: loading from files, folders and zip dumps, the index, and range evaluation.

An :class:`AdvisoryIndex` is built once (``AdvisoryIndex.build(records)`` or
:func:`load_index`) and answers any number of look-ups: ``index.match(ecosystem, name, version)``
finds the advisories whose ``affected`` entries name the package and contain the version. The
index keeps only what matching and reporting need (ids, aliases, severity vectors, ranges and
version lists; no details or references), with interned strings, so a full multi-ecosystem
dump fits in little memory. Parsed versions are cached in the index and reused by every scan.
A process that keeps a large index should ``gc.freeze()`` once it is built, so that the cyclic
garbage collector does not walk its millions of objects on every full collection.

Ranges follow the OSV schema's evaluation: ``ECOSYSTEM`` ranges in the ecosystem's own order,
``SEMVER`` ranges in Semantic Versioning order; events sorted by version, ``introduced``
(``0`` = every version) opens, ``fixed`` closes before, ``last_affected`` closes after, and
``limit`` bounds the range. A version named in the entry's ``versions`` list is affected too.
``GIT`` ranges name commits, not releases: they need the repository's history and are not
evaluated here; an entry with only GIT ranges and no ``versions`` list is reported for review
for every version of its package (it cannot be decided offline, so it is not cleared).
Withdrawn advisories are skipped.
"""

from __future__ import annotations

import json
import sys
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from univers import versions as uv

from finres.core.supply_chain.ecosystems import BY_OSV, SEMVER, Ecosystem, InvalidVersion
from finres.core.supply_chain.errors import InputError, json_place

EVENT_KINDS: Final = ("introduced", "fixed", "last_affected", "limit")
EVALUATED_RANGE_TYPES: Final = ("ECOSYSTEM", "SEMVER")
MAX_FILE_BYTES: Final = 64 * 1024 * 1024  # one advisory file (a zip member is one file)


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    severity: tuple[tuple[str, str], ...]  # (CVSS_V3, vector) as the record gives them


@dataclass(frozen=True, slots=True)
class Range:
    type: str  # ECOSYSTEM or SEMVER
    events: tuple[tuple[str, str], ...]  # (kind, version) in the record's order


@dataclass(frozen=True, slots=True)
class Affected:
    """One ``affected`` entry of an advisory: a package and where it is affected."""

    advisory: Advisory
    package: str  # the name as the advisory writes it
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]
    severity: tuple[tuple[str, str], ...]  # the entry's own severity, if any
    git_only: bool = False  # only GIT ranges and no versions list: cannot be decided offline


@dataclass(frozen=True, slots=True)
class Hit:
    """Why one affected entry contains a version."""

    affected: Affected
    reason: str  # "versions" (listed), "range", "unordered" (not orderable), "git" (GIT only)
    range: Range | None
    interval: tuple[str | None, str | None, str | None] | None  # introduced, fixed, last_affected
    fixed: tuple[str, ...]


# --- reading ---------------------------------------------------------------------------------


def _text(value: Any, source: str, path: list[str | int]) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(source, "expected a non-empty string", json_place(path))
    return sys.intern(value)


def _list(value: Any, source: str, path: list[str | int]) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(source, "expected a list", json_place(path))
    return value


def _strings(value: Any, source: str, path: list[str | int]) -> tuple[str, ...]:
    """A list of non-empty strings, interned (checked in one pass; the place only on error)."""
    items = _list(value, source, path)
    if all(isinstance(item, str) and item for item in items):
        return tuple(map(sys.intern, items))
    bad = next(i for i, item in enumerate(items) if not isinstance(item, str) or not item)
    raise InputError(source, "expected a non-empty string", json_place([*path, bad]))


def parse_record(data: Any, source: str) -> tuple[Advisory, list[tuple[str, Affected]]] | None:
    """The advisory and its ``(ecosystem, affected)`` entries; ``None`` when withdrawn.

    Raises :class:`InputError` naming the field when the record is not an OSV advisory.
    """
    if not isinstance(data, dict):
        raise InputError(source, "an OSV advisory is a JSON object")
    identifier = _text(data.get("id"), source, ["id"])
    if data.get("withdrawn"):
        return None
    aliases = _strings(data.get("aliases"), source, ["aliases"])
    advisory = Advisory(identifier, aliases, _severity(data.get("severity"), source, ["severity"]))
    entries: list[tuple[str, Affected]] = []
    for i, entry in enumerate(_list(data.get("affected"), source, ["affected"])):
        at: list[str | int] = ["affected", i]
        if not isinstance(entry, dict):
            raise InputError(source, "expected an object", json_place(at))
        package = entry.get("package")
        if package is None:
            continue  # allowed by the schema (e.g. GIT-only records): nothing to match by name
        if not isinstance(package, dict):
            raise InputError(source, "expected an object", json_place([*at, "package"]))
        ecosystem = _text(package.get("ecosystem"), source, [*at, "package", "ecosystem"])
        name = _text(package.get("name"), source, [*at, "package", "name"])
        ranges = []
        git = False
        for j, range_ in enumerate(_list(entry.get("ranges"), source, [*at, "ranges"])):
            rat: list[str | int] = [*at, "ranges", j]
            if not isinstance(range_, dict):
                raise InputError(source, "expected an object", json_place(rat))
            kind = _text(range_.get("type"), source, [*rat, "type"])
            events = []
            for k, event in enumerate(_list(range_.get("events"), source, [*rat, "events"])):
                if not isinstance(event, dict) or len(event) != 1:
                    raise InputError(
                        source,
                        "an event is an object with one key",
                        json_place([*rat, "events", k]),
                    )
                ((key, value),) = event.items()
                if key not in EVENT_KINDS or not isinstance(value, str) or not value:
                    if key in EVENT_KINDS:
                        _text(value, source, [*rat, "events", k, key])
                    raise InputError(
                        source,
                        f"unknown event {key!r} (expected one of {', '.join(EVENT_KINDS)})",
                        json_place([*rat, "events", k]),
                    )
                events.append((sys.intern(key), sys.intern(value)))
            if kind in EVALUATED_RANGE_TYPES:
                ranges.append(Range(sys.intern(kind), tuple(events)))
            elif kind == "GIT":
                git = True
        versions = _strings(entry.get("versions"), source, [*at, "versions"])
        severity = (
            _severity(entry.get("severity"), source, [*at, "severity"])
            if "severity" in entry
            else ()
        )
        git_only = git and not ranges and not versions
        entries.append(
            (ecosystem, Affected(advisory, name, tuple(ranges), versions, severity, git_only))
        )
    return advisory, entries


def _severity(value: Any, source: str, path: list[str | int]) -> tuple[tuple[str, str], ...]:
    if not value:
        return ()
    out = []
    for i, item in enumerate(_list(value, source, path)):
        if not isinstance(item, dict):
            raise InputError(source, "expected an object", json_place([*path, i]))
        out.append(
            (
                _text(item.get("type"), source, [*path, i, "type"]),
                _text(item.get("score"), source, [*path, i, "score"]),
            )
        )
    return tuple(out)


def _records_of(data: Any, source: str) -> Iterator[tuple[Any, str]]:
    """One OSV record, a JSON list of records, or ``{"vulns": [...]}`` (the OSV API's answer)."""
    if isinstance(data, list):
        for i, item in enumerate(data):
            yield item, f"{source}[{i}]"
    elif isinstance(data, dict) and "id" not in data and isinstance(data.get("vulns"), list):
        for i, item in enumerate(data["vulns"]):
            yield item, f"{source}: vulns[{i}]"
    else:
        yield data, source


def _json(raw: bytes, source: str) -> Any:
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(source, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        where = (
            f"line {error.lineno}, column {error.colno}"
            if isinstance(error, json.JSONDecodeError)
            else ""
        )
        raise InputError(source, f"not valid JSON: {getattr(error, 'msg', error)}", where) from None


def _zip_records(path: Path) -> Iterator[tuple[Any, str]]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise InputError(str(path), f"not a readable zip file: {error}") from None
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.endswith(".json"):
                continue
            source = f"{path}:{info.filename}"
            if info.file_size > MAX_FILE_BYTES:
                raise InputError(source, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
            yield from _records_of(_json(archive.read(info), source), source)


def read_records(location: Path) -> Iterator[tuple[Any, str]]:
    """Every OSV record (raw JSON) under a folder, in a JSON file or in a zip dump, with its source.

    A folder is searched recursively for ``*.json`` and ``*.zip`` files.
    """
    if location.is_dir():
        files = sorted(
            p for p in location.rglob("*") if p.suffix in (".json", ".zip") and p.is_file()
        )
        if not files:
            raise InputError(str(location), "no OSV advisories (*.json or *.zip) in this folder")
    elif location.is_file():
        files = [location]
    else:
        raise InputError(str(location), "no such file or folder")
    for path in files:
        if path.suffix == ".zip":
            yield from _zip_records(path)
            continue
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise InputError(str(path), error.strerror or str(error)) from None
        yield from _records_of(_json(raw, str(path)), str(path))


# --- the index -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexStats:
    records: int
    withdrawn: int
    entries: int
    packages: int
    other_ecosystems: int  # affected entries of ecosystems that are not matched


class AdvisoryIndex:
    """Affected entries by (OSV ecosystem, normalised package name), built once, reused."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], list[Affected]] = {}
        self._versions: dict[tuple[type[uv.Version], str], Any] = {}
        # keyed by id(): every Range lives as long as the index that holds it
        self._prepared: dict[tuple[int, type[uv.Version]], _Prepared | None] = {}
        self._records = 0
        self._withdrawn = 0
        self._other = 0

    @classmethod
    def build(cls, records: Iterable[tuple[Any, str]]) -> AdvisoryIndex:
        index = cls()
        for data, source in records:
            index.add(data, source)
        return index

    def add(self, data: Any, source: str) -> None:
        parsed = parse_record(data, source)
        self._records += 1
        if parsed is None:
            self._withdrawn += 1
            return
        for ecosystem_name, affected in parsed[1]:
            ecosystem = BY_OSV.get(ecosystem_name)
            if ecosystem is None:
                self._other += 1
                continue
            key = (ecosystem.osv, sys.intern(ecosystem.normalise(affected.package)))
            self._entries.setdefault(key, []).append(affected)

    @property
    def stats(self) -> IndexStats:
        return IndexStats(
            self._records,
            self._withdrawn,
            sum(len(v) for v in self._entries.values()),
            len(self._entries),
            self._other,
        )

    def entries(self, ecosystem: Ecosystem, name: str) -> list[Affected]:
        """The affected entries of a package (``name`` already normalised)."""
        return self._entries.get((ecosystem.osv, name), [])

    def version(self, cls: type[uv.Version], text: str) -> Any:
        """``text`` as a key in the order of ``cls``, parsed once per index; ``None`` if invalid.

        The key is what univers orders by: a ``Version`` compares by its ``value`` alone unless
        its class defines its own comparisons, so the value is kept and compared directly
        (the same order, without the wrapper's cost).
        """
        key = (cls, text)
        try:
            return self._versions[key]
        except KeyError:
            pass
        parsed: Any
        try:
            parsed = cls(text)
        except (InvalidVersion, ValueError, TypeError):
            parsed = None
        if parsed is not None and _ORDERED_BY_VALUE.get(cls, False):
            parsed = parsed.value
        self._versions[key] = parsed
        return parsed

    def prepared(self, cls: type[uv.Version], range_: Range) -> _Prepared | None:
        """A range's events parsed and sorted once per index; ``None`` if one is not a version."""
        key = (id(range_), cls)
        try:
            return self._prepared[key]
        except KeyError:
            pass
        result: _Prepared | None = _prepare(self, cls, range_)
        self._prepared[key] = result
        return result

    def match(self, ecosystem: Ecosystem, name: str, version: str) -> list[Hit]:
        """Every affected entry of the package that contains ``version``, with why."""
        hits = []
        for affected in self.entries(ecosystem, name):
            hit = self._contains(ecosystem, affected, version)
            if hit is not None:
                hits.append(hit)
        return hits

    def _contains(self, ecosystem: Ecosystem, affected: Affected, version: str) -> Hit | None:
        unordered: Range | None = None
        for range_ in affected.ranges:
            cls = SEMVER if range_.type == "SEMVER" else ecosystem.version_class
            result = _evaluate(self, cls, range_, version)
            if result is None:
                unordered = range_
                continue
            if isinstance(result, tuple):
                return Hit(affected, "range", range_, result, _fixed_after(result))
        if version in affected.versions:
            return Hit(
                affected, "versions", None, None, self._fixes_above(ecosystem, affected, version)
            )
        if unordered is not None:
            return Hit(affected, "unordered", unordered, None, ())
        if affected.git_only:
            return Hit(affected, "git", None, None, ())
        return None

    def _fixes_above(
        self, ecosystem: Ecosystem, affected: Affected, version: str
    ) -> tuple[str, ...]:
        """The fixed versions of the entry's ranges above ``version`` (a listed-version hit)."""
        cls = ecosystem.version_class
        current = self.version(cls, version)
        fixes = []
        for range_ in affected.ranges:
            for kind, value in range_.events:
                if kind != "fixed":
                    continue
                parsed = self.version(cls, value)
                if current is None or parsed is None or parsed > current:
                    fixes.append(value)
        return tuple(dict.fromkeys(fixes))


def _fixed_after(interval: tuple[str | None, str | None, str | None]) -> tuple[str, ...]:
    return (interval[1],) if interval[1] is not None else ()


_KIND_ORDER: Final[Mapping[str, int]] = {
    "introduced": 0,
    "last_affected": 1,
    "fixed": 2,
    "limit": 3,
}


# (limits, events sorted by version: (key or None for "introduced: 0", kind, text))
_Prepared = tuple[tuple[Any, ...], tuple[tuple[Any, str, str], ...]]


def _orders_by_value(cls: type[uv.Version]) -> bool:
    return all(
        getattr(cls, name) is getattr(uv.Version, name) for name in ("__lt__", "__ge__", "__eq__")
    )


_CLASSES: Final[set[type[uv.Version]]] = {SEMVER, *(e.version_class for e in BY_OSV.values())}
_ORDERED_BY_VALUE: Final[dict[type[uv.Version], bool]] = {c: _orders_by_value(c) for c in _CLASSES}


def _prepare(index: AdvisoryIndex, cls: type[uv.Version], range_: Range) -> _Prepared | None:
    ordered: list[tuple[bool, Any, int, str, str]] = []
    limits = []
    for kind, text in range_.events:
        if kind == "introduced" and text == "0":
            ordered.append((False, 0, 0, kind, text))
            continue
        if kind == "limit" and text == "*":
            continue
        parsed = index.version(cls, text)
        if parsed is None:
            return None
        if kind == "limit":
            limits.append(parsed)
        else:
            ordered.append((True, parsed, _KIND_ORDER[kind], kind, text))
    # "introduced: 0" sorts first; ties keep introduced before the events that close
    ordered.sort(key=lambda e: (e[0], e[1], e[2]))
    events = tuple((e[1] if e[0] else None, e[3], e[4]) for e in ordered)
    return tuple(limits), events


def _evaluate(
    index: AdvisoryIndex, cls: type[uv.Version], range_: Range, version: str
) -> tuple[str | None, str | None, str | None] | Literal[False] | None:
    """The OSV evaluation of one range.

    Returns the interval ``(introduced, fixed, last_affected)`` that contains the version,
    ``False`` when none does, ``None`` when the version or an event cannot be ordered.
    """
    current = index.version(cls, version)
    if current is None:
        return None
    prepared = index.prepared(cls, range_)
    if prepared is None:
        return None
    limits, events = prepared
    if limits and not any(current < limit for limit in limits):
        return False
    opened: str | None = None
    affected = False
    closing: tuple[str | None, str | None] = (None, None)
    for parsed, kind, text in events:
        if affected and closing == (None, None) and kind != "introduced":
            # the first event after the opening one that would close the interval
            closing = (text, None) if kind == "fixed" else (None, text)
        if kind == "introduced":
            if parsed is None or current >= parsed:
                if not affected:
                    opened, closing = text, (None, None)
                affected = True
        elif (kind == "fixed" and current >= parsed) or (
            kind == "last_affected" and current > parsed
        ):
            affected = False
    if not affected:
        return False
    return (opened, closing[0], closing[1])


def load_index(locations: Iterable[Path]) -> AdvisoryIndex:
    """One index over every OSV record found in the given folders, JSON files and zip dumps."""
    index = AdvisoryIndex()
    for location in locations:
        for data, source in read_records(location):
            index.add(data, source)
    return index
