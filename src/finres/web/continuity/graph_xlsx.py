"""The dependency graph as a workbook, for people who keep it in a spreadsheet: a sheet of nodes
and a sheet of scenarios, one row each, with the graph file's fields as columns.

Lists are written in one cell: ids separated by commas (``requires``, ``fail``, ``tags``), and
for ``any_of`` groups separated by semicolons (``dc-a, dc-b; line-1, line-2``). Durations are
written as in the graph file (``30m``, ``4h``, ``1h30m``). Sheets and column headers are found
by their name in either language or by the field's key, and node kinds by their name in either
language or their key, so a workbook exported in English imports for a user working in Chinese.

Reading turns the workbook into the graph file's data and nothing more: the core's
``build_graph`` validates it as it validates a YAML file, and ``graphio`` applies it, all or
nothing. The workbook is opened with the checks that keep a hostile file harmless
(``evidence.xlsx_open``: size, type by content, unpacked size, no DTD, formulas refused).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import IO, Any

import openpyxl
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finres.web.continuity.graph import graph_data
from finres.web.continuity.models import Node
from finres.web.evidence.xlsx_open import WorkbookError, open_workbook, sheet_rows
from finres.web.orgs.models import Organisation
from finres.web.registers import tabular

LIST_SEPARATORS = re.compile(r"[,，、\n]")
GROUP_SEPARATORS = re.compile(r"[;；]")

NODES = "nodes"
SCENARIOS = "scenarios"
SHEET_TITLES: dict[str, Promise] = {
    NODES: gettext_lazy("Nodes"),
    SCENARIOS: gettext_lazy("Scenarios"),
}
# (key, header, kind of cell): text, kind, duration, list, groups
COLUMNS: dict[str, list[tuple[str, Promise, str]]] = {
    NODES: [
        ("id", gettext_lazy("ID"), "text"),
        ("kind", gettext_lazy("Kind"), "kind"),
        ("name", gettext_lazy("Name"), "text"),
        ("rto", gettext_lazy("RTO"), "duration"),
        ("rpo", gettext_lazy("RPO"), "duration"),
        ("requires", gettext_lazy("Requires (all)"), "list"),
        ("any_of", gettext_lazy("Requires one of (groups)"), "groups"),
        ("failover_time", gettext_lazy("Failover time"), "duration"),
        ("recovery_time", gettext_lazy("Recovery time"), "duration"),
        ("recovery_point", gettext_lazy("Recovery point"), "duration"),
        ("tags", gettext_lazy("Tags"), "list"),
    ],
    SCENARIOS: [
        ("id", gettext_lazy("ID"), "text"),
        ("name", gettext_lazy("Name"), "text"),
        ("fail", gettext_lazy("Failed nodes"), "list"),
        ("fail_tagged", gettext_lazy("Failed tags"), "list"),
    ],
}
MAX_COLUMNS = 30


class GraphWorkbookError(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in problems))
        self.problems = problems


# --- writing ------------------------------------------------------------------------------------


def _cell_text(key: str, kind: str, value: Any) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if kind == "kind":
        return str(Node.Kind(value).label)
    if kind == "list":
        return ", ".join(value)
    if kind == "groups":
        return "; ".join(", ".join(group) for group in value)
    return str(value)


def export_xlsx(organisation: Organisation) -> bytes:
    """The graph as a workbook, headers and kinds in the current language."""
    data = graph_data(organisation)
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet_key in (NODES, SCENARIOS):
        columns = COLUMNS[sheet_key]
        rows = (
            [_cell_text(key, kind, item.get(key)) for key, _header, kind in columns]
            for item in data[sheet_key]
        )
        header = [str(header) for _key, header, _kind in columns]
        tabular.add_sheet(workbook, str(SHEET_TITLES[sheet_key]), header, rows, width=22)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading ------------------------------------------------------------------------------------


def _names(text: Promise | str) -> set[str]:
    """A label in every language of the site, case-folded."""
    found = set()
    for language in ("zh-hant", "en"):
        with translation.override(language):
            found.add(str(text).strip().casefold())
    return found


def _kinds() -> dict[str, str]:
    known = {}
    for value, label in Node.Kind.choices:
        known[value.casefold()] = value
        for name in _names(label):
            known[name] = value
    return known


def _split(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [part.strip() for part in pattern.split(text) if part.strip()]


def _value(kind: str, raw: Any, kinds: dict[str, str]) -> Any:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and kind != "duration":
        raw = str(int(raw)) if float(raw).is_integer() else str(raw)
    if not isinstance(raw, str):
        return raw  # a number where a duration is wanted: the core names the problem
    text = raw.strip()
    if kind == "kind":
        return kinds.get(text.casefold(), text)
    if kind == "list":
        return _split(text, LIST_SEPARATORS)
    if kind == "groups":
        return [_split(group, LIST_SEPARATORS) for group in _split(text, GROUP_SEPARATORS)]
    return text


def _rows(sheet: Any, sheet_key: str, place: str) -> Iterator[dict[str, Any]]:
    columns = COLUMNS[sheet_key]
    known: dict[str, tuple[str, str]] = {}
    for key, header, kind in columns:
        known[key.casefold()] = (key, kind)
        for name in _names(header):
            known[name] = (key, kind)
    kinds = _kinds()
    positions: dict[int, tuple[str, str]] = {}
    for number, values in sheet_rows(sheet, MAX_COLUMNS):
        if number > tabular.max_rows() + 1:
            raise GraphWorkbookError(
                [(place, _("More than %(limit)s rows.") % {"limit": tabular.max_rows()})]
            )
        if number == 1:
            unknown = []
            for index, text in enumerate(values):
                if text is None or not str(text).strip():
                    continue
                found = known.get(str(text).strip().casefold())
                if found is None or found in positions.values():
                    unknown.append(str(text))
                else:
                    positions[index] = found
            if unknown:
                raise GraphWorkbookError(
                    [
                        (
                            place,
                            _("These column headers are not understood: %(headers)s.")
                            % {"headers": ", ".join(f"“{h}”" for h in unknown)},
                        )
                    ]
                )
            if ("id", "text") not in positions.values():
                raise GraphWorkbookError(
                    [(place, _("The sheet has no “%(column)s” column.") % {"column": _("ID")})]
                )
            continue
        row: dict[str, Any] = {}
        for index, (key, kind) in positions.items():
            raw = values[index] if index < len(values) else None
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            value = _value(kind, raw, kinds)
            if value != []:
                row[key] = value
        if row:
            yield row


def read_xlsx(upload: IO[bytes], size: int | None) -> dict[str, Any]:
    """The graph file's data (``nodes`` and ``scenarios``) from a workbook; GraphWorkbookError
    when the workbook cannot be read as a graph."""
    try:
        workbook = open_workbook(
            upload, size, tabular.max_bytes(), tabular.max_uncompressed_bytes()
        )
    except WorkbookError as error:
        raise GraphWorkbookError([("", error.message)]) from None
    try:
        sheets: dict[str, Any] = {}
        for sheet in workbook.worksheets:
            title = sheet.title.strip().casefold()
            for key in (NODES, SCENARIOS):
                if title == key or title in _names(SHEET_TITLES[key]):
                    sheets[key] = sheet
        if NODES not in sheets:
            raise GraphWorkbookError(
                [
                    (
                        "",
                        _("The workbook has no sheet named “%(sheet)s”.")
                        % {"sheet": SHEET_TITLES[NODES]},
                    )
                ]
            )
        data: dict[str, Any] = {}
        for key in (NODES, SCENARIOS):
            if key in sheets:
                data[key] = list(_rows(sheets[key], key, sheets[key].title))
        return data
    except WorkbookError as error:
        raise GraphWorkbookError([("", error.message)]) from None
    finally:
        workbook.close()
