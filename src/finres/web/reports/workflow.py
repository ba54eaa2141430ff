"""Making a board report or a declaration final: the checks and the change, in one transaction.

Shared by the pages and the API so both refuse the same things with the same messages.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from finres.web.orgs.roles import Action, allows
from finres.web.reports import content
from finres.web.reports.documents import sections
from finres.web.reports.models import BoardReport, Declaration, DocumentStatus


class DocumentError(Exception):
    """A document cannot change as asked; the message says why (and is shown to the user)."""


def readable(queryset: QuerySet[Any], role: str | None) -> QuerySet[Any]:
    """The documents (board reports or declarations) ``role`` may read.

    A draft is work in progress of the CISO's team: those who may read business data see it; a
    board member (who may read reports only) sees a document once it is final.
    """
    if allows(role, Action.VIEW):
        return queryset
    return queryset.filter(status=DocumentStatus.FINAL)


def ensure_draft(document: BoardReport | Declaration) -> None:
    if document.is_final:
        raise DocumentError(_("A final document cannot be changed or deleted."))


def finalise_board_report(report: BoardReport, user: Any) -> BoardReport:
    """Freeze the report's figures and record who signed it and when."""
    with transaction.atomic():
        report = BoardReport.objects.select_for_update().get(pk=report.pk)
        ensure_draft(report)
        missing = [section.heading for section in sections(report) if not section.narrative.strip()]
        if missing:
            raise DocumentError(
                _("Write every section before making the report final. Missing: %(sections)s.")
                % {"sections": "; ".join(missing)}
            )
        snapshot = content.build(report.organisation, report.year)
        report.snapshot = snapshot
        report.snapshot_sha256 = content.digest(snapshot)
        report.status = DocumentStatus.FINAL
        report.signed_by = user
        report.signed_at = timezone.now()
        report.save()
    return report


def finalise_declaration(declaration: Declaration, user: Any) -> Declaration:
    with transaction.atomic():
        declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
        ensure_draft(declaration)
        signatories = list(declaration.signatories.all())
        if not signatories:
            raise DocumentError(_("A declaration needs at least one signatory."))
        unsigned = [f"{s.title} {s.name}".strip() for s in signatories if s.signed_on is None]
        if unsigned:
            raise DocumentError(
                _(
                    "Record the date each signatory signed before making it final. Not signed: "
                    "%(names)s."
                )
                % {"names": "; ".join(unsigned)}
            )
        if declaration.declared_on is None:
            raise DocumentError(_("Give the date of the declaration before making it final."))
        declaration.status = DocumentStatus.FINAL
        declaration.finalised_by = user
        declaration.finalised_at = timezone.now()
        declaration.save()
    return declaration
