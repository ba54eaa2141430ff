"""The crypto inventory as a table (XLSX or CSV), in and out, on the registers' machinery
(``registers.tabular`` reads and writes the files safely; ``registers.formats`` matches the
headers in either language and parses the cells). Rows are matched on ``code``; the file is
checked whole and applied in one transaction, or not at all."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finres.web.audit.log import append
from finres.web.crypto.models import CryptoAsset, Kind, Source
from finres.web.orgs.models import Organisation
from finres.web.registers import formats, tabular
from finres.web.registers.models import InformationSystem

COLUMNS = (
    formats.Column("code", "text", required=True),
    formats.Column("kind", "choice", Kind),
    formats.Column("name", "text", required=True),
    formats.Column("system", "system"),
    formats.Column("family", "text"),
    formats.Column("parameter", "text"),
    formats.Column("key_size", "int"),
    formats.Column("where_used", "text"),
    formats.Column("signature_algorithm", "text"),
    formats.Column("not_after", "date"),
    formats.Column("version", "text"),
    formats.Column("pqc_capable", "flag"),
    formats.Column("notes", "text"),
)
REGISTER = formats.Register("crypto-assets", CryptoAsset, gettext_lazy("Crypto assets"), COLUMNS)
UNKNOWN = {"", "unknown", "?", "未知", "不明"}


def _cell(asset: CryptoAsset, column: formats.Column) -> Any:
    if column.key == "system":
        return asset.system.code if asset.system else ""
    if column.key == "pqc_capable":
        return {None: "", True: "yes", False: "no"}[asset.pqc_capable]
    return getattr(asset, column.key)


def export(organisation: Organisation, kind: str) -> tuple[bytes, str, str]:
    header = REGISTER.header()
    rows = (
        [_cell(a, c) for c in COLUMNS]
        for a in CryptoAsset.objects.filter(organisation=organisation)
        .select_related("system")
        .order_by("code")
        .iterator(chunk_size=2000)
    )
    stamp = timezone.localdate().isoformat()
    if kind == "csv":
        return tabular.write_csv(header, rows), tabular.CSV, f"crypto-assets-{stamp}.csv"
    content = tabular.write_xlsx(str(REGISTER.title), header, rows)
    return content, tabular.XLSX, f"crypto-assets-{stamp}.xlsx"


def _parse(column: formats.Column, raw: Any, context: Any, systems: dict[str, Any]) -> Any:
    if isinstance(raw, tabular.FormulaCell):
        raise formats.CellError(_("A formula is not accepted: enter the value itself."))
    if column.kind == "system":
        text = formats._cell_text(raw)
        if not text:
            return None
        if text not in systems:
            raise formats.CellError(_("Unknown codes: %(codes)s.") % {"codes": text})
        return systems[text]
    if column.kind == "flag":
        text = formats._cell_text(raw).casefold()
        if isinstance(raw, bool):
            return raw
        if text in UNKNOWN:
            return None
        if text in formats.TRUE:
            return True
        if text in formats.FALSE:
            return False
        raise formats.CellError(_("“%(value)s” is not yes or no.") % {"value": text})
    return formats._parse(column, raw, context)


def import_table(
    organisation: Organisation, upload: Any, name: str, size: int | None = None
) -> formats.ImportReport:
    """Check the whole file, then apply it (or nothing). ``TableError`` for an unusable file."""
    report = formats.ImportReport()
    table = tabular.read_table(upload, name, size)
    positions = formats.header_map(REGISTER, table.header)
    context = formats._context(organisation)
    systems = {
        s.code: s
        for s in InformationSystem.objects.filter(organisation=organisation).only("pk", "code")
    }
    columns = [c for c in COLUMNS if c.key in positions]
    with transaction.atomic():
        existing = {
            a.code: a
            for a in CryptoAsset.objects.filter(organisation=organisation).select_for_update()
        }
        seen: dict[str, int] = {}
        planned: list[tuple[CryptoAsset, bool, bool]] = []
        for number, row in table.rows:
            report.rows += 1

            def error(key: str, message: str, number: int = number) -> None:
                label = next((c.label(CryptoAsset) for c in COLUMNS if c.key == key), key)
                report.errors.append(formats.RowError(number, label, message))

            values: dict[str, Any] = {}
            for column in columns:
                index = positions[column.key]
                raw = row[index] if index < len(row) else None
                try:
                    values[column.key] = _parse(column, raw, context, systems)
                except formats.CellError as problem:
                    error(column.key, str(problem))
            code = values.get("code")
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
                obj = CryptoAsset(organisation=organisation, source=Source.XLSX)
            changed = created
            for key, value in values.items():
                attname = CryptoAsset._meta.get_field(key).attname
                new = value.pk if key == "system" and value is not None else value
                if getattr(obj, attname) != new:
                    setattr(obj, attname, new)
                    changed = True
            before = len(report.errors)
            try:
                obj.full_clean(
                    validate_unique=False,
                    validate_constraints=False,
                    exclude=["exposure", "organisation"],
                )
            except ValidationError as problem:
                for field_name, messages in problem.message_dict.items():
                    for message in messages:
                        error(field_name if field_name in positions else "code", message)
            if len(report.errors) == before:
                planned.append((obj, created, changed))
        if report.rows == 0:
            raise tabular.TableError(_("The file has no rows to import."))
        if not report.ok:
            return report
        for obj, created, changed in planned:
            if changed:
                obj.save()
            if created:
                report.created += 1
            elif changed:
                report.updated += 1
            else:
                report.unchanged += 1
        append(
            "import",
            "crypto.cryptoasset",
            "",
            str(REGISTER.title),
            {
                "file": name[:200],
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
            },
            organisation.pk,
        )
        report.applied = True
    return report
