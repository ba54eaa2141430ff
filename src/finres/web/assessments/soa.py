"""The Statement of Applicability of an ISO/IEC 27001 assessment (clause 6.1.3 d): every Annex A
control, whether it applies and why, and whether it is implemented (from the result)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from finres.web.assessments.models import Assessment, RequirementResult
from finres.web.frameworks.models import Requirement


@dataclass
class SoARow:
    control: Requirement
    theme: str
    result: RequirementResult | None

    @property
    def applicable(self) -> bool | None:
        return None if self.result is None else self.result.applicable_in_soa

    @property
    def justification(self) -> str:
        if self.result is None:
            return ""
        return self.result.soa_justification or self.result.not_applicable_reason

    @property
    def implemented(self) -> str:
        if self.result is None or not self.result.applicable_in_soa:
            return ""
        return self.result.implemented


def rows(assessment: Assessment) -> list[SoARow]:
    """Every assessable control of the framework, with this assessment's result (two queries)."""
    controls = list(
        Requirement.objects.filter(
            framework_id=assessment.framework_id, assessable=True, active=True
        )
        .select_related("parent")
        .order_by("position")
    )
    results = {
        r.requirement_id: r
        for r in RequirementResult.objects.filter(assessment=assessment).select_related("owner")
    }
    return [
        SoARow(control, control.parent.title() if control.parent else "", results.get(control.pk))
        for control in controls
    ]


def implemented_label(value: str) -> str:
    return {"yes": _("Yes"), "partial": _("Partially"), "no": _("No")}.get(value, "—")


def applicable_label(value: bool | None) -> str:
    if value is None:
        return _("Not in the assessment")
    return _("Yes") if value else _("No")


def workbook(assessment: Assessment) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Statement of Applicability")[:31]
    sheet.append([_("Statement of Applicability"), assessment.name])
    sheet.append([_("Organisation"), assessment.organisation.name])
    sheet.append(
        [
            _("Period"),
            f"{assessment.period_start.isoformat()} – {assessment.period_end.isoformat()}",
        ]
    )
    sheet.append([_("Exported"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    sheet.append([])
    header = [
        _("Control"),
        _("Title"),
        _("Theme"),
        _("Applicable"),
        _("Justification"),
        _("Implemented"),
        _("Result"),
    ]
    sheet.append(header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
    for row in rows(assessment):
        sheet.append(
            [
                row.control.label,
                row.control.title(),
                row.theme,
                applicable_label(row.applicable),
                row.justification,
                implemented_label(row.implemented),
                row.result.get_result_display() if row.result else "",
            ]
        )
    sheet["A1"].font = Font(bold=True, size=13)
    for index, width in enumerate([10, 48, 24, 12, 48, 14, 18], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for line in sheet.iter_rows(min_row=header_row + 1):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.auto_filter.ref = f"A{header_row}:G{sheet.max_row}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
