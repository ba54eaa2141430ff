from __future__ import annotations

import csv
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.generic import ListView

from finres.web.audit.chain import verify
from finres.web.audit.models import AuditEvent
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action


class AuditListView(OrganisationMixin, ListView):
    """The organisation's audit trail, newest first, with the whole chain's integrity."""

    action = Action.AUDIT
    model = AuditEvent
    organisation_path = "organisation_id"
    paginate_by = 50
    template_name = "audit/list.html"

    def scope(self, queryset: Any) -> Any:
        return queryset.filter(organisation_id=self.organisation.pk)

    def get_queryset(self) -> Any:
        queryset = self.scope(AuditEvent.objects.all()).order_by("-sequence")
        model = self.request.GET.get("model")
        if model:
            queryset = queryset.filter(model=model)
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.request.GET.get("verify"):
            events = (
                e.as_chain_entry() for e in AuditEvent.objects.order_by("sequence").iterator()
            )
            context["breaks"] = verify(events)
            context["verified"] = True
        return context


class AuditExportView(OrganisationMixin, ListView):
    action = Action.AUDIT
    model = AuditEvent

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
        response.write("\ufeff")  # so that spreadsheet programs read UTF-8
        writer = csv.writer(response)
        writer.writerow(
            [
                "sequence",
                "timestamp",
                "actor",
                "action",
                "model",
                "object_id",
                "object",
                "changes",
                "hash",
            ]
        )
        events = AuditEvent.objects.filter(organisation_id=self.organisation.pk).order_by(
            "sequence"
        )
        for e in events.iterator():
            writer.writerow(
                [
                    e.sequence,
                    e.timestamp,
                    e.actor_name,
                    e.action,
                    e.model,
                    e.object_id,
                    e.object_repr,
                    e.changes,
                    e.hash,
                ]
            )
        return response
