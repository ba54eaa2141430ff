"""The registers' table format: the columns of each register, its export, and its import.

Columns are found by their header in either language or by their key, so a file exported in
English imports for a user working in Chinese and the other way round; columns left out of a
file keep their values. Rows are matched on ``code``: a new code creates an entry, a known one
updates it. An import is checked whole before anything is written: every problem is reported
with its row, column and reason, and only a file without any problem is applied, in one
transaction; each created or changed entry is written to the audit trail, with a summary event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finres.web.audit.log import bulk
from finres.web.audit.signals import links_recorded_by_caller
from finres.web.orgs.models import Organisation
from finres.web.registers import tabular
from finres.web.registers.forms import members_of, split_tags
from finres.web.registers.models import (
    Classification,
    DataSensitivity,
    Hosting,
    InformationSystem,
    Rating,
    Site,
    Supplier,
    SupplierIndustry,
    SystemAccess,
    tags_problem,
    tiering,
)

TRUE = {"yes", "y", "true", "1", "是", "v", "x"}
FALSE = {"no", "n", "false", "0", "否", ""}
UNKNOWN = {"", "unknown", "?", "未知", "不明"}
FOREIGN_KEYS = ("user", "system")  # column kinds whose value is another row


@dataclass(frozen=True)
class Column:
    key: str
    # text, choice, bool, flag (yes / no / unknown), date, int, country, tags, sites, suppliers,
    # user, system (an information system of the register, by code), clauses
    kind: str
    choices: Any = None  # a TextChoices class for ``choice``
    required: bool = False

    def label(self, model: type[models.Model]) -> str:
        return capfirst(str(model._meta.get_field(self.key).verbose_name))


def _text(key: str, required: bool = False) -> Column:
    return Column(key, "text", required=required)


def _choice(key: str, choices: Any) -> Column:
    return Column(key, "choice", choices)


@dataclass(frozen=True)
class Register:
    key: str
    model: type[models.Model]
    title: Any
    columns: tuple[Column, ...]
    prefetch: tuple[Any, ...] = ()
    defaults: tuple[tuple[str, Any], ...] = ()  # field values of an entry an import creates
    computed: tuple[str, ...] = ()  # fields set on save, left out of the import's checks

    def queryset(self, organisation: Organisation) -> models.QuerySet[Any]:
        return (
            self.model._default_manager.filter(organisation=organisation)
            .select_related(*(c.key for c in self.columns if c.kind in FOREIGN_KEYS))
            .prefetch_related(*self.prefetch)
            .order_by("code")
        )

    def header(self) -> list[str]:
        return [c.label(self.model) for c in self.columns]


SITES = Register(
    "sites",
    Site,
    gettext_lazy("Sites"),
    (
        _text("code", True),
        _text("name", True),
        _choice("kind", Site.Kind),
        Column("country", "country"),
        _text("address"),
        _text("notes"),
    ),
)

SYSTEMS = Register(
    "systems",
    InformationSystem,
    gettext_lazy("Information systems"),
    (
        _text("code", True),
        _text("name", True),
        _text("description"),
        _text("owner"),
        _choice("classification", Classification),
        _choice("confidentiality", Rating),
        _choice("integrity", Rating),
        _choice("availability", Rating),
        _choice("legal_compliance", Rating),
        _text("classification_rationale"),
        Column("internet_facing", "bool"),
        _choice("data_sensitivity", DataSensitivity),
        _choice("hosting", Hosting),
        _text("cloud_provider"),
        _text("cloud_service"),
        Column("data_location", "country"),
        Column("material", "bool"),
        Column("natural_person_customers", "bool"),
        Column("sites", "sites"),
        Column("suppliers", "suppliers"),
        Column("tags", "tags"),
        Column("reviewed_on", "date"),
        Column("reviewer", "user"),
    ),
    (
        Prefetch("sites", queryset=Site.objects.only("pk", "code")),
        Prefetch("suppliers", queryset=Supplier.objects.only("pk", "code")),
    ),
)

SUPPLIERS = Register(
    "suppliers",
    Supplier,
    gettext_lazy("Suppliers"),
    (
        _text("code", True),
        _text("name", True),
        _text("tax_id"),
        _choice("industry", SupplierIndustry),
        _text("services"),
        _choice("system_access", SystemAccess),
        _choice("data_sensitivity", DataSensitivity),
        Column("cloud_services", "bool"),
        Column("processing_location", "country"),
        _text("contact"),
        _text("contract_reference"),
        Column("contract_start", "date"),
        Column("contract_end", "date"),
        Column("contract_clauses", "clauses"),
        Column("incident_notification_hours", "int"),
        _text("exit_plan"),
        Column("exit_plan_tested_on", "date"),
        _choice("dr_capability", Supplier.DisasterRecovery),
        Column("dr_rto_minutes", "int"),
        Column("dr_rpo_minutes", "int"),
        Column("dr_assessed_on", "date"),
        _text("dr_notes"),
        _text("alternatives"),
        Column("tags", "tags"),
    ),
)

REGISTERS = {r.key: r for r in (SYSTEMS, SUPPLIERS, SITES)}


# --- export -------------------------------------------------------------------------------------


def _export_value(obj: Any, column: Column) -> Any:
    value = getattr(obj, column.key)
    if column.kind in ("sites", "suppliers"):
        return "; ".join(sorted(o.code for o in value.all()))
    if column.kind in ("tags", "clauses"):
        return "; ".join(value or [])
    if column.kind == "user":
        return value.get_username() if value is not None else ""
    if column.kind == "system":
        return value.code if value is not None else ""
    if column.kind == "flag":
        return {None: "", True: "yes", False: "no"}[value]
    return value


def export_rows(register: Register, organisation: Organisation) -> Iterator[list[Any]]:
    for obj in register.queryset(organisation).iterator(chunk_size=2000):
        yield [_export_value(obj, c) for c in register.columns]


def export(register: Register, organisation: Organisation, kind: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the whole register, as ``xlsx`` or ``csv``."""
    header = register.header()
    rows = export_rows(register, organisation)
    stamp = timezone.localdate().isoformat()
    if kind == "csv":
        return tabular.write_csv(header, rows), tabular.CSV, f"{register.key}-{stamp}.csv"
    content = tabular.write_xlsx(str(register.title), header, rows)
    return content, tabular.XLSX, f"{register.key}-{stamp}.xlsx"


# --- import -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def _names(text: Any) -> set[str]:
    names = set()
    for language in ("en", "zh-hant"):
        with translation.override(language):
            names.add(str(text).strip().casefold())
    return names


def header_map(register: Register, header: list[str]) -> dict[str, int]:
    known: dict[str, str] = {}
    for column in register.columns:
        known[column.key.casefold()] = column.key
        for name in _names(register.model._meta.get_field(column.key).verbose_name):
            known[name] = column.key
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, text in enumerate(header):
        if not text:
            continue
        key = known.get(text.casefold())
        if key is None or key in positions:
            unknown.append(text)
        else:
            positions[key] = index
    if unknown:
        raise tabular.TableError(
            _("These column headers are not understood: %(headers)s.")
            % {"headers": ", ".join(f"“{h}”" for h in unknown)}
        )
    if "code" not in positions:
        raise tabular.TableError(
            _("The file has no “%(column)s” column.")
            % {"column": register.columns[0].label(register.model)}
        )
    return positions


class CellError(ValueError):
    pass


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def _choice_values(choices: Any) -> dict[str, str]:
    values: dict[str, str] = {}
    for value, label in choices.choices:
        values[str(value).casefold()] = value
        for name in _names(label):
            values[name] = value
    return values


def _split(text: str) -> list[str]:
    return split_tags(text)


@dataclass
class Context:
    organisation: Organisation
    sites: dict[str, Site]
    suppliers: dict[str, Supplier]
    users: dict[str, Any]
    clauses: dict[str, str]
    choices: dict[str, dict[str, str]]
    systems: dict[str, InformationSystem] = field(default_factory=dict)


def _parse(column: Column, raw: Any, context: Context) -> Any:
    if isinstance(raw, tabular.FormulaCell):
        raise CellError(_("A formula is not accepted: enter the value itself."))
    text = _cell_text(raw)
    kind = column.kind
    if kind == "text":
        return text
    if kind == "choice":
        values = context.choices.setdefault(column.key, _choice_values(column.choices))
        if not text:
            raise CellError(_("A value is required."))
        if text.casefold() not in values:
            allowed = ", ".join(str(v) for v, _label in column.choices.choices)
            raise CellError(
                _("“%(value)s” is not one of: %(allowed)s.") % {"value": text, "allowed": allowed}
            )
        return values[text.casefold()]
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if text.casefold() in TRUE:
            return True
        if text.casefold() in FALSE:
            return False
        raise CellError(_("“%(value)s” is not yes or no.") % {"value": text})
    if kind == "flag":
        if isinstance(raw, bool):
            return raw
        if text.casefold() in UNKNOWN:
            return None
        return _parse(Column(column.key, "bool"), raw, context)
    if kind == "system":
        if not text:
            return None
        if text not in context.systems:
            raise CellError(_("Unknown codes: %(codes)s.") % {"codes": text})
        return context.systems[text]
    if kind == "date":
        if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            return raw
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text.replace("/", "-")[:10])
        except ValueError:
            raise CellError(
                _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": text}
            ) from None
    if kind == "int":
        if not text:
            return None
        if not text.isdigit() or len(text) > 9:
            raise CellError(_("“%(value)s” is not a whole number.") % {"value": text})
        return int(text)
    if kind == "country":
        code = text.upper() or "TW"
        if len(code) != 2 or not code.isalpha() or not code.isascii():
            raise CellError(_("“%(value)s” is not a two-letter country code.") % {"value": text})
        return code
    if kind == "tags":
        tags = _split(text)
        problem = tags_problem(tags)
        if problem:
            raise CellError(problem)
        return tags
    if kind in ("sites", "suppliers"):
        known = context.sites if kind == "sites" else context.suppliers
        codes = _split(text)
        missing = [c for c in codes if c not in known]
        if missing:
            raise CellError(_("Unknown codes: %(codes)s.") % {"codes": ", ".join(missing)})
        return sorted(known[c].pk for c in codes)
    if kind == "user":
        if not text:
            return None
        user = context.users.get(text.casefold())
        if user is None:
            raise CellError(
                _("“%(value)s” is not a member of this organisation.") % {"value": text}
            )
        return user
    if kind == "clauses":
        found = []
        for part in _split(text):
            clause = context.clauses.get(part.casefold())
            if clause is None:
                raise CellError(_("“%(value)s” is not a known contract clause.") % {"value": part})
            if clause not in found:
                found.append(clause)
        return found
    raise AssertionError(kind)


def _context(organisation: Organisation, register: Register) -> Context:
    clauses: dict[str, str] = {}
    for clause in tiering().clauses:
        clauses[clause.id.casefold()] = clause.id
        clauses[clause.name.zh.casefold()] = clause.id
        clauses[clause.name.en.casefold()] = clause.id
    return Context(
        organisation,
        {s.code: s for s in Site.objects.filter(organisation=organisation).only("pk", "code")},
        {s.code: s for s in Supplier.objects.filter(organisation=organisation).only("pk", "code")},
        {u.get_username().casefold(): u for u in members_of(organisation)},
        clauses,
        {},
        {
            s.code: s
            for s in InformationSystem.objects.filter(organisation=organisation).only("pk", "code")
        }
        if any(c.kind == "system" for c in register.columns)
        else {},
    )


M2M = ("sites", "suppliers")


@dataclass
class _Planned:
    obj: Any
    created: bool
    changed: bool
    links: dict[str, tuple[list[int], list[int]]]  # field -> (ids before, ids after)


def _field_of(register: Register, name: str) -> str:
    for column in register.columns:
        if column.key == name:
            return column.label(register.model)
    return name


def plan(
    register: Register, organisation: Organisation, table: tabular.Table, report: ImportReport
) -> list[_Planned]:
    positions = header_map(register, table.header)
    context = _context(organisation, register)
    existing = {
        o.code: o for o in register.queryset(organisation).select_for_update(of=("self",)) if o.code
    }
    columns = [c for c in register.columns if c.key in positions]
    kinds = {c.key: c.kind for c in columns}
    seen: dict[str, int] = {}
    planned: list[_Planned] = []
    for number, row in table.rows:
        report.rows += 1

        def error(key: str, message: str, number: int = number) -> None:
            report.errors.append(RowError(number, _field_of(register, key), message))

        values: dict[str, Any] = {}
        for column in columns:
            index = positions[column.key]
            raw = row[index] if index < len(row) else None
            try:
                values[column.key] = _parse(column, raw, context)
            except CellError as problem:
                error(column.key, str(problem))
        code = values.get("code")
        if code is None:
            continue
        if not code:
            error("code", _("A code is required."))
            continue
        if code in seen:
            error("code", _("The code is also on row %(row)s.") % {"row": seen[code]})
            continue
        seen[code] = number
        obj = existing.get(code)
        created = obj is None
        if obj is None:
            obj = register.model(organisation=organisation, **dict(register.defaults))
        changed = created
        links: dict[str, tuple[list[int], list[int]]] = {}
        for key, value in values.items():
            if key in M2M:
                current = sorted(o.pk for o in getattr(obj, key).all()) if not created else []
                if value != current:
                    links[key] = (current, value)
                continue
            attname = register.model._meta.get_field(key).attname
            foreign = kinds[key] in FOREIGN_KEYS and value is not None
            new = value.pk if foreign else value
            if getattr(obj, attname) != new:
                setattr(obj, attname, new)
                changed = True
        before = len(report.errors)
        try:
            obj.full_clean(
                exclude=[*M2M, *register.computed],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as problem:
            for name, messages in problem.message_dict.items():
                for message in messages:
                    error(name if name != "__all__" else "code", message)
        if len(report.errors) == before:
            planned.append(_Planned(obj, created, changed, links))
    if report.rows == 0:
        raise tabular.TableError(_("The file has no rows to import."))
    return planned


def import_table(
    register: Register,
    organisation: Organisation,
    upload: Any,
    name: str,
    size: int | None = None,
) -> ImportReport:
    """Check the whole file, then apply it (or nothing). ``TableError`` for an unusable file."""
    report = ImportReport()
    table = tabular.read_table(upload, name, size)
    label = f"{register.model._meta.app_label}.{register.model._meta.model_name}"
    with transaction.atomic():
        planned = plan(register, organisation, table, report)
        if not report.ok:
            return report
        # One audit event for the whole import, carrying every created or changed entry (the
        # rows' own saves are collected into it), appended last: see audit.log.bulk.
        with bulk("import", label, organisation.pk, str(register.title)) as collected:
            for item in planned:
                if item.changed:
                    item.obj.save()
                if item.links:
                    with links_recorded_by_caller():
                        for key, (_before, ids) in item.links.items():
                            getattr(item.obj, key).set(ids)
                    collected.add(
                        item.obj.pk,
                        str(item.obj),
                        {key: [before, after] for key, (before, after) in item.links.items()},
                        action="update",
                        model=label,
                    )
                if item.created:
                    report.created += 1
                elif item.changed or item.links:
                    report.updated += 1
                else:
                    report.unchanged += 1
            collected.details.update(
                {
                    "file": name[:200],
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                }
            )
        report.applied = True
    return report


Parser = Callable[[Column, Any, Context], Any]
