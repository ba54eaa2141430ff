"""The assessment workbook's format, shared by the export (``xlsx``) and the import
(``xlsx_import``): its name and version, the columns, and the size limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from finres.web.assessments.models import Result
from finres.web.evidence import files

FORMAT = "finres-assessment"
FORMAT_VERSION = 1
META_SHEET = "finres"
MAX_COLUMNS = 40  # the import never looks further right than this
GAP_RESULTS: tuple[str, ...] = tuple(
    str(choice) for choice in (Result.NON_COMPLIANT, Result.PARTIAL, Result.NOT_ASSESSED)
)
NOT_ASSESSED = str(Result.NOT_ASSESSED)
NOT_APPLICABLE = str(Result.NOT_APPLICABLE)
XLSX_CONTENT_TYPE = files.XLSX


def max_bytes() -> int:
    return int(getattr(settings, "FINRES_XLSX_MAX_BYTES", 10 * 1024 * 1024))


def max_uncompressed_bytes() -> int:
    return int(getattr(settings, "FINRES_XLSX_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "FINRES_XLSX_MAX_ROWS", 20_000))


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # lazy translation
    width: int
    editable: bool = False
    wrap: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("framework", _("Framework"), 26),
    Column("requirement", _("Requirement ID"), 22),
    Column("ref", _("Reference"), 14),
    Column("title", _("Title"), 48, wrap=True),
    Column("obligation", _("Obligation"), 10),
    Column("result", _("Result"), 18, editable=True),
    Column("maturity_level", _("Maturity level"), 12, editable=True),
    Column("owner", _("Owner (user name)"), 18, editable=True),
    Column("due_date", _("Due date"), 13, editable=True),
    Column("comments", _("Comments"), 40, editable=True, wrap=True),
    Column("not_applicable_reason", _("Reason it does not apply"), 32, editable=True, wrap=True),
    Column("evidence", _("Evidence"), 40, wrap=True),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
EDITABLE = tuple(c.key for c in COLUMNS if c.editable)
