"""Loading and validating library files: every problem is reported, nothing half-loads.

A framework or mapping-set file is read with a safe YAML loader that also rejects duplicate
keys (PyYAML silently keeps the last one), checked against the pydantic schema, then against
the rules that need the whole file; the library as a whole is checked for what needs several
files (mapping ends, supersession, overlapping tier rules). Any problem fails the load.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from finres.core.i18n import N_
from finres.core.library.index import Library
from finres.core.library.schema import Framework, LocalizedText, MappingSet, RequirementNode
from finres.core.vocab import Industry

CONTENT_DIR = Path(__file__).resolve().parent.parent.parent / "content"
MAX_FILE_BYTES = 8 * 1024 * 1024  # far above any real framework; stops a runaway file early


@dataclass(frozen=True, order=True)
class Problem:
    """One validation problem: where it is (file, node, field) and what is wrong."""

    file: str
    node: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.node:
            where += f" [{self.node}]"
        if self.field:
            where += f" {self.field}"
        return f"{where}: {self.message}"


class LibraryError(Exception):
    """The library, or a file of it, is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid library"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


# --- YAML ---------------------------------------------------------------------------------------

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader that refuses duplicate mapping keys."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {line})", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely; raise LibraryError with a precise message on any defect."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LibraryError([Problem(name, None, None, f"file too large ({size} bytes)")])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LibraryError([Problem(name, None, None, "no such file")]) from None
    except UnicodeDecodeError as error:
        raise LibraryError([Problem(name, None, None, f"not UTF-8 text: {error.reason}")]) from None
    except OSError as error:
        raise LibraryError([Problem(name, None, None, error.strerror or str(error))]) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise LibraryError([Problem(name, None, None, f"YAML syntax: {where}{problem}")]) from None


# --- files --------------------------------------------------------------------------------------


def _schema_problems(name: str, data: Any, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = list(item["loc"])
        node: str | None = None
        if len(loc) >= 2 and loc[0] in ("requirements", "mappings") and isinstance(loc[1], int):
            entries = data.get(loc[0]) if isinstance(data, dict) else None
            entry = entries[loc[1]] if isinstance(entries, list) else None
            if loc[0] == "requirements" and isinstance(entry, dict) and entry.get("id"):
                node = str(entry["id"])
            elif loc[0] == "mappings" and isinstance(entry, dict):
                node = f"{entry.get('source')} -> {entry.get('target')}"
            else:
                node = f"{loc[0]}[{loc[1]}]"
            loc = loc[2:]
        field = ".".join(str(part) for part in loc) or None
        problems.append(Problem(name, node, field, item["msg"]))
    return problems


def _texts(node: RequirementNode) -> Iterator[tuple[str, LocalizedText]]:
    yield "title", node.title
    for field in ("text", "guidance", "notes", "timeframe"):
        value = getattr(node, field)
        if value is not None:
            yield field, value
    for field in ("examples", "typical_evidence"):
        for i, value in enumerate(getattr(node, field)):
            yield f"{field}[{i}]", value
    for level, value in node.maturity.items():
        yield f"maturity.{level}", value


def framework_problems(name: str, framework: Framework) -> list[Problem]:
    """Checks that need the whole file: ids, tree, tiers, languages, obligations."""
    problems: list[Problem] = []

    def report(node: str | None, field: str | None, message: str) -> None:
        problems.append(Problem(name, node, field, message))

    if (
        framework.effective_from
        and framework.effective_until
        and framework.effective_until < framework.effective_from
    ):
        report(None, "effective_until", "is before effective_from")
    tiers = {band.tier for band in framework.tier_rule.bands} if framework.tier_rule else set()
    levels = {level.level for level in framework.maturity_levels}
    if len(levels) != len(framework.maturity_levels):
        report(None, "maturity_levels", "each level number may appear once")
    original = framework.source_language
    seen: set[str] = set()
    for node in framework.requirements:
        if node.id in seen:
            report(node.id, "id", "duplicate id")
        if node.parent is not None and node.parent not in seen:
            exists = any(other.id == node.parent for other in framework.requirements)
            message = "parent must appear before its children" if exists else "no such parent"
            report(node.id, "parent", f"{message}: {node.parent!r}")
        seen.add(node.id)
        if node.parent == node.id:
            report(node.id, "parent", "a node cannot be its own parent")
        if node.tiers is not None:
            if not framework.tier_rule:
                report(node.id, "tiers", "tiers need a tier_rule in the framework")
            elif unknown := sorted(set(node.tiers) - tiers):
                report(node.id, "tiers", f"no such tier in the tier rule: {unknown}")
        for level in node.maturity:
            if level not in levels:
                report(node.id, f"maturity.{level}", "not one of the framework's maturity_levels")
        if node.assessable and framework.binding and node.obligation is None:
            report(
                node.id,
                "obligation",
                "an assessable requirement of a binding framework "
                "needs an obligation (shall, should or may)",
            )
        for field, text in _texts(node):
            if not text.get(original):
                report(node.id, f"{field}.{original}", "the original wording is missing")
            if original == "zh-TW" and field in ("title", "text") and not text.en:
                report(node.id, f"{field}.en", "the English rendering is missing")
    for field in ("name", "publisher"):
        if not getattr(framework, field).get(original):
            report(None, f"{field}.{original}", "missing in the source language")
    return problems


def mapping_set_problems(name: str, mapping_set: MappingSet) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for mapping in mapping_set.mappings:
        pair = (mapping.source, mapping.target)
        if pair in seen:
            problems.append(Problem(name, f"{pair[0]} -> {pair[1]}", None, "duplicate mapping"))
        seen.add(pair)
    if mapping_set.source_framework == mapping_set.target_framework:
        problems.append(Problem(name, None, "target_framework", "same as source_framework"))
    return problems


def _expect_id(name: str, path: Path, identifier: str) -> list[Problem]:
    if path.suffix in (".yaml", ".yml") and path.stem != identifier:
        return [Problem(name, None, "id", f"file name should be {identifier}.yaml")]
    return []


def check_file(path: Path) -> tuple[Framework | MappingSet | None, list[Problem]]:
    """Read and check one library file of either kind.

    Returns the parsed file (None when it does not even match the schema) with every problem
    found; a file with problems must not be used, but its parsed form still lets the library
    checks report what else is wrong.
    """
    name = str(path)
    try:
        data = read_yaml(path)
    except LibraryError as error:
        return None, error.problems
    if not isinstance(data, dict):
        return None, [Problem(name, None, None, "expected a mapping at the top level")]
    model: type[Framework] | type[MappingSet]
    if "requirements" in data:
        model = Framework
    elif "mappings" in data:
        model = MappingSet
    else:
        message = "neither a framework (no 'requirements') nor a mapping set (no 'mappings')"
        return None, [Problem(name, None, None, message)]
    try:
        parsed = model.model_validate(data)
    except ValidationError as error:
        return None, _schema_problems(name, data, error)
    problems = _expect_id(name, path, parsed.id)
    if isinstance(parsed, Framework):
        problems += framework_problems(name, parsed)
    else:
        problems += mapping_set_problems(name, parsed)
    return parsed, problems


def parse_file(path: Path) -> Framework | MappingSet:
    """Read and check one library file; raise LibraryError listing every problem."""
    parsed, problems = check_file(path)
    if problems or parsed is None:
        raise LibraryError(problems)
    return parsed


def load_framework_file(path: Path) -> Framework:
    parsed = parse_file(Path(path))
    if not isinstance(parsed, Framework):
        raise LibraryError([Problem(str(path), None, None, "not a framework file")])
    return parsed


def load_mapping_file(path: Path) -> MappingSet:
    parsed = parse_file(Path(path))
    if not isinstance(parsed, MappingSet):
        raise LibraryError([Problem(str(path), None, None, "not a mapping-set file")])
    return parsed


# --- the library --------------------------------------------------------------------------------


def library_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into the YAML files below them, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        else:
            files.append(path)
    return files


def _library_problems(
    frameworks: dict[str, tuple[str, Framework]], mapping_sets: list[tuple[str, MappingSet]]
) -> list[Problem]:
    problems: list[Problem] = []
    node_ids = {fid: {node.id for node in fw.requirements} for fid, (_, fw) in frameworks.items()}
    for name, framework in frameworks.values():
        if framework.superseded_by and framework.superseded_by not in frameworks:
            problems.append(
                Problem(name, None, "superseded_by", f"no framework {framework.superseded_by!r}")
            )
    owners: dict[Industry, str] = {}
    for fid, (name, framework) in frameworks.items():
        for industry in framework.tier_rule.industries if framework.tier_rule else ():
            if industry in owners:
                problems.append(
                    Problem(
                        name,
                        None,
                        "tier_rule.industries",
                        f"{industry.value} already has a tier rule in {owners[industry]}",
                    )
                )
            owners[industry] = fid
    for name, mapping_set in mapping_sets:
        ends = (("source", mapping_set.source_framework), ("target", mapping_set.target_framework))
        missing = False
        for end, fid in ends:
            if fid not in frameworks:
                problems.append(Problem(name, None, f"{end}_framework", f"no framework {fid!r}"))
                missing = True
        if missing:
            continue
        for mapping in mapping_set.mappings:
            for end, fid in ends:
                value = getattr(mapping, end)
                if value not in node_ids[fid]:
                    problems.append(
                        Problem(
                            name,
                            f"{mapping.source} -> {mapping.target}",
                            end,
                            f"no node {value!r} in {fid}",
                        )
                    )
    return problems


def load_paths(paths: Iterable[Path], context: Library | None = None) -> Library:
    """Load and check library files and folders together; raise LibraryError on any problem.

    ``context`` supplies frameworks that the files may refer to without containing them (so a
    single mapping-set file can be checked against the shipped library); the files win where
    both hold a framework with the same id.
    """
    problems: list[Problem] = []
    frameworks: dict[str, tuple[str, Framework]] = {}
    mapping_sets: list[tuple[str, MappingSet]] = []
    seen_sets: dict[str, str] = {}
    for path in library_files(paths):
        name = str(path)
        parsed, found = check_file(path)
        problems += found
        if parsed is None:
            continue
        if isinstance(parsed, Framework):
            if parsed.id in frameworks:
                problems.append(
                    Problem(
                        name,
                        None,
                        "id",
                        f"framework {parsed.id!r} is also in {frameworks[parsed.id][0]}",
                    )
                )
            frameworks[parsed.id] = (name, parsed)
        else:
            if parsed.id in seen_sets:
                problems.append(
                    Problem(
                        name,
                        None,
                        "id",
                        f"mapping set {parsed.id!r} is also in {seen_sets[parsed.id]}",
                    )
                )
            seen_sets[parsed.id] = name
            mapping_sets.append((name, parsed))
    checked = dict(frameworks)
    for framework in context.frameworks.values() if context else ():
        checked.setdefault(framework.id, ("(library)", framework))
    problems += _library_problems(checked, mapping_sets)
    if problems:
        raise LibraryError(list(dict.fromkeys(problems)))  # in the order found, once each
    return Library(
        [framework for _, framework in frameworks.values()],
        [mapping_set for _, mapping_set in mapping_sets],
    )


LIBRARY_PATH_VARIABLE = "FINRES_LIBRARY_PATH"


class LibraryPathError(ValueError):
    """A folder named in ``FINRES_LIBRARY_PATH`` cannot be used: it names the folder and why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{LIBRARY_PATH_VARIABLE}: {path}: {reason}")
        self.path = path
        self.reason = reason


def library_path(value: str | None = None) -> tuple[Path, ...]:
    """The folders of an institution's own frameworks and mappings, checked.

    ``value`` is a list of folders separated by the system's path separator (``:`` on Unix);
    it defaults to the ``FINRES_LIBRARY_PATH`` environment variable. Each folder must exist,
    be a folder and hold at least one YAML file; otherwise ``LibraryPathError`` names it.
    """
    if value is None:
        value = os.environ.get(LIBRARY_PATH_VARIABLE, "")
    folders: list[Path] = []
    for part in value.split(os.pathsep):
        if not part.strip():
            continue
        folder = Path(part).expanduser()
        if not folder.exists():
            raise LibraryPathError(part, N_("no such folder"))
        if not folder.is_dir():
            raise LibraryPathError(part, N_("not a folder"))
        if not os.access(folder, os.R_OK | os.X_OK):
            raise LibraryPathError(part, N_("not readable"))
        if not library_files([folder]):
            raise LibraryPathError(part, N_("no YAML files in this folder"))
        folders.append(folder.resolve())
    return tuple(folders)


def load_library(content_dir: Path = CONTENT_DIR, extra: Sequence[Path] | None = None) -> Library:
    """The site's library: the shipped content (or another content folder) and the folders of
    ``FINRES_LIBRARY_PATH`` (or ``extra``), loaded once per process for each combination.

    The CLI, ``finres setup`` and the web application all call this, so they always agree.
    """
    folders = library_path() if extra is None else tuple(Path(p).resolve() for p in extra)
    return _load_library(content_dir, folders)


@functools.cache
def _load_library(content_dir: Path, extra: tuple[Path, ...]) -> Library:
    return load_paths([content_dir / "frameworks", content_dir / "mappings", *extra])
