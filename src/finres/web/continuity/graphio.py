"""Export and import of the organisation's graph in the core's file format (YAML or JSON), or
as a workbook (``graph_xlsx``).

The import is all or nothing: the file is read with the core's safe loader (duplicate keys and
oversized files refused), validated whole by the core's ``build_graph`` (every problem with its
place), then checked against what the rows can hold (whole minutes, codes, RTO ≤ MTPD); only
without any problem is it applied, in one transaction. Nodes, critical services and scenarios
are matched on their code: a new code creates, a known one updates, nodes and scenarios absent
from the file are removed (critical services are kept: their BIA is more than the graph). A new
node of kind system, data store, supplier or site is linked to the register entry with the same
code. Every change goes through the models, so each is in the audit trail.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from finres.core.resilience import Graph, GraphError, NodeKind, build_graph, load_graph
from finres.web.continuity import graph_xlsx
from finres.web.continuity.graph import graph_data, load_nodes
from finres.web.continuity.models import (
    MAX_MINUTES,
    CriticalService,
    Dependency,
    Node,
    Scenario,
)
from finres.web.language import current_language
from finres.web.orgs.models import Organisation
from finres.web.registers.models import (
    CODE_VALIDATOR,
    InformationSystem,
    Site,
    Supplier,
    tags_problem,
)

MAX_BYTES = 5 * 1024 * 1024
SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")


def export_text(organisation: Organisation, kind: str) -> tuple[str, str, str]:
    """(content, content type, file name) of the graph as YAML or JSON."""
    data = graph_data(organisation)
    if kind == "json":
        return json.dumps(data, ensure_ascii=False, indent=2), "application/json", "graph.json"
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return text, "application/yaml", "graph.yaml"


@dataclass
class ImportReport:
    problems: list[tuple[str, str]] = field(default_factory=list)  # (place, message)
    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


class GraphImportError(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in problems))
        self.problems = problems


def read_graph(upload: IO[bytes], name: str, size: int) -> Graph:
    """Parse and validate an uploaded graph file (YAML, JSON or a workbook) with the core;
    GraphImportError lists every problem by place."""
    suffix = Path(name or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise GraphImportError(
            [("", _("Choose a YAML, JSON or Excel file (.yaml, .yml, .json, .xlsx)."))]
        )
    if suffix == ".xlsx":
        try:
            data = graph_xlsx.read_xlsx(upload, size)
        except graph_xlsx.GraphWorkbookError as error:
            raise GraphImportError(error.problems) from None
        return _validated(lambda: build_graph(data, name), name, name)
    if size > MAX_BYTES:
        raise GraphImportError(
            [("", _("The file is larger than %(limit)s MB.") % {"limit": MAX_BYTES // 2**20})]
        )
    content = upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise GraphImportError(
            [("", _("The file is larger than %(limit)s MB.") % {"limit": MAX_BYTES // 2**20})]
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"graph{suffix}"
        path.write_bytes(content)
        return _validated(lambda: load_graph(path), str(path), name)


def _validated(build: Callable[[], Graph], shown_as: str, name: str) -> Graph:
    """The core's graph, or its problems in the page's language with the file's own name."""
    try:
        return build()
    except GraphError as error:
        language = current_language()
        problems = [
            (problem.place, problem.text(language).replace(shown_as, name))
            for problem in error.problems
        ]
        raise GraphImportError(problems) from None


def _whole(value: float | None, place: str, name: str, problems: list[tuple[str, str]]) -> int:
    if value is None:
        return 0
    if not float(value).is_integer():
        problems.append((place, _("%(field)s must be whole minutes.") % {"field": name}))
        return 0
    if value > MAX_MINUTES:
        problems.append((place, _("%(field)s is more than ten years.") % {"field": name}))
        return 0
    return int(value)


def _check(graph: Graph, organisation: Organisation) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    mtpd = dict(
        CriticalService.objects.filter(organisation=organisation).values_list(
            "code", "mtpd_minutes"
        )
    )
    codes = [("node", n.id) for n in graph.nodes.values()]
    codes += [("scenario", s.id) for s in graph.scenarios.values()]
    for _what, code in codes:
        try:
            CODE_VALIDATOR(code)
        except ValidationError as error:
            problems.append((code, " ".join(error.messages)))
    for node in graph.nodes.values():
        for name in ("recovery_time", "recovery_point", "failover_time"):
            _whole(getattr(node, name), node.id, name, problems)
        if len(node.name) > 200:
            problems.append((node.id, _("The name is longer than 200 characters.")))
        problem = tags_problem(sorted(node.tags))
        if problem:
            problems.append((node.id, problem))
        if node.kind == NodeKind.SERVICE:
            if node.rto is None or node.rpo is None:
                problems.append((node.id, _("A critical service needs its rto and rpo.")))
                continue
            rto = _whole(node.rto, node.id, "rto", problems)
            _whole(node.rpo, node.id, "rpo", problems)
            limit = mtpd.get(node.id)
            if limit is not None and rto > limit:
                problems.append(
                    (
                        node.id,
                        _("The RTO cannot be longer than the MTPD (%(mtpd)s minutes).")
                        % {"mtpd": limit},
                    )
                )
    for scenario in graph.scenarios.values():
        if len(scenario.name) > 200:
            problems.append((scenario.id, _("The name is longer than 200 characters.")))
    return problems


def import_graph(
    organisation: Organisation, upload: IO[bytes], name: str, size: int
) -> ImportReport:
    """Replace the organisation's graph with the file's (all or nothing)."""
    try:
        graph = read_graph(upload, name, size)
    except GraphImportError as error:
        return ImportReport(problems=error.problems)
    problems = _check(graph, organisation)
    if problems:
        return ImportReport(problems=problems)
    report = ImportReport()
    with transaction.atomic():
        _apply(graph, organisation, report)
    return report


def _register_link(kind: str, code: str, organisation: Organisation) -> dict[str, Any]:
    if kind in (NodeKind.SYSTEM, NodeKind.DATA_STORE):
        system = InformationSystem.objects.filter(organisation=organisation, code=code).first()
        return {"system": system} if system else {}
    if kind == NodeKind.SUPPLIER:
        supplier = Supplier.objects.filter(organisation=organisation, code=code).first()
        return {"supplier": supplier} if supplier else {}
    if kind == NodeKind.SITE:
        site = Site.objects.filter(organisation=organisation, code=code).first()
        return {"site": site} if site else {}
    return {}


def _apply(graph: Graph, organisation: Organisation, report: ImportReport) -> None:
    existing = {n.code: n for n in load_nodes(organisation)}
    services = {s.code: s for s in CriticalService.objects.filter(organisation=organisation)}
    rows: dict[str, Node] = {}
    for item in graph.nodes.values():
        values: dict[str, Any] = {
            "name": item.name,
            "kind": item.kind.value,
            "recovery_time_minutes": int(item.recovery_time),
            "recovery_point_minutes": int(item.recovery_point),
            "failover_time_minutes": int(item.failover_time),
            "tags": sorted(item.tags),
        }
        if item.kind == NodeKind.SERVICE:
            service = services.get(item.id)
            if service is None:
                service = CriticalService.objects.create(
                    organisation=organisation,
                    code=item.id,
                    name=item.name or item.id,
                    rto_minutes=int(item.rto or 0),
                    rpo_minutes=int(item.rpo or 0),
                )
                report.created += 1
            elif (service.rto_minutes, service.rpo_minutes) != (item.rto, item.rpo):
                service.rto_minutes, service.rpo_minutes = int(item.rto or 0), int(item.rpo or 0)
                service.save(update_fields=["rto_minutes", "rpo_minutes", "updated"])
                report.updated += 1
            values["service"] = service
        node = existing.get(item.id)
        if node is None:
            values.update(_register_link(item.kind.value, item.id, organisation))
            node = Node.objects.create(organisation=organisation, code=item.id, **values)
            report.created += 1
        else:
            if node.kind != item.kind.value:  # links that no longer fit the kind go
                values.update(service=values.get("service"), system=None, supplier=None, site=None)
                values.update(_register_link(item.kind.value, item.id, organisation))
            changed = {k: v for k, v in values.items() if getattr(node, k) != v}
            if changed:
                for key, value in changed.items():
                    setattr(node, key, value)
                node.save(update_fields=list(changed))
                report.updated += 1
        rows[item.id] = node
    for code, node in existing.items():
        if code not in rows:
            node.delete()
            report.deleted += 1
    _apply_edges(graph, organisation, rows, existing, report)
    _apply_scenarios(graph, organisation, rows, report)


def _apply_edges(
    graph: Graph,
    organisation: Organisation,
    rows: dict[str, Node],
    existing: dict[str, Node],
    report: ImportReport,
) -> None:
    current: dict[tuple[int, int, str], Dependency] = {}
    named: dict[tuple[str, frozenset[str]], str] = {}
    for code, node in existing.items():
        if code not in rows:
            continue
        groups: dict[str, set[str]] = {}
        for dependency in node.dependencies.all():
            current[(node.pk, dependency.target_id, dependency.group)] = dependency
            if dependency.group:
                groups.setdefault(dependency.group, set()).add(dependency.target.code)
        for group, members in groups.items():
            named[(code, frozenset(members))] = group
    wanted: set[tuple[int, int, str]] = set()
    for item in graph.nodes.values():
        node = rows[item.id]
        for target in item.requires:
            wanted.add((node.pk, rows[target].pk, ""))
        taken: set[str] = set()
        for index, alternatives in enumerate(item.any_of, start=1):
            found = named.get((item.id, frozenset(alternatives)))
            group = found if found is not None and found not in taken else f"group-{index}"
            while group in taken:
                group += "x"
            taken.add(group)
            for target in alternatives:
                wanted.add((node.pk, rows[target].pk, group))
    for key, dependency in current.items():
        if key not in wanted:
            dependency.delete()
            report.deleted += 1
    for node_pk, target_pk, group in sorted(wanted - set(current)):
        Dependency.objects.create(
            organisation=organisation, node_id=node_pk, target_id=target_pk, group=group
        )
        report.created += 1


def _apply_scenarios(
    graph: Graph, organisation: Organisation, rows: dict[str, Node], report: ImportReport
) -> None:
    existing = {s.code: s for s in Scenario.objects.filter(organisation=organisation)}
    for item in graph.scenarios.values():
        scenario = existing.pop(item.id, None)
        values = {"name": item.name or item.id, "fail_tagged": list(item.fail_tagged)}
        if scenario is None:
            scenario = Scenario.objects.create(organisation=organisation, code=item.id, **values)
            report.created += 1
        else:
            changed = {k: v for k, v in values.items() if getattr(scenario, k) != v}
            if changed:
                for key, value in changed.items():
                    setattr(scenario, key, value)
                scenario.save(update_fields=list(changed))
                report.updated += 1
        scenario.fail.set([rows[code] for code in item.fail])
    for scenario in existing.values():
        scenario.delete()
        report.deleted += 1


def check_data(data: dict[str, Any]) -> GraphError | None:
    """The core's verdict on graph data (None when valid)."""
    try:
        build_graph(data, "graph")
    except GraphError as error:
        return error
    return None
