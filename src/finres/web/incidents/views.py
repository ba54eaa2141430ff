"""Pages of the incident register and of the reporting regimes.

Every object is reached through the organisation-scoped queryset (``OrganisationMixin``): an id
of another organisation is a 404. Reading needs VIEW; recording incidents, their timeline and
their submissions EDIT; deleting them and entering the institution's own regimes MANAGE.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from finres.core import incidents as core
from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.filtering import page_filters
from finres.web.incidents import services
from finres.web.incidents.filters import IncidentFilterSet, RegimeFilterSet
from finres.web.incidents.forms import IncidentForm, RegimeForm, SubmissionForm, TimelineForm
from finres.web.incidents.models import Incident, ReportingRegime, Submission, TimelineEntry
from finres.web.language import current_language
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action
from finres.web.registers.views import (
    ChildDeleteView,
    ObjectDeleteView,
    ObjectEditView,
    TableExportView,
    query_without_page,
)

PAGE_SIZE = 50


def language() -> str:
    return "en" if current_language() == "en" else "zh"


def deadline_rows(result: services.Deadlines, lang: str) -> list[dict[str, Any]]:
    names = result.choice.regime.stage_names(lang) if result.choice else {}
    return [
        {
            "row": row,
            "name": row.stage.name.get(lang),
            "limits": [limit.describe(lang, names) for limit in row.stage.within],
            "countdown": core.countdown_text(row.remaining, lang),
        }
        for row in result.rows
    ]


class IncidentListView(OrganisationMixin, ListView):
    model = Incident
    paginate_by = PAGE_SIZE
    template_name = "incidents/incident_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        queryset = self.scope(Incident.objects.prefetch_related("submissions")).order_by(
            "-detected_at", "code"
        )
        self.filterset = page_filters(self.request, IncidentFilterSet, queryset)
        return self.filterset.qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        available = services.choices(self.organisation)
        lang = language()
        rows = []
        for incident in context["object_list"]:
            result = services.deadlines(incident, available)
            upcoming = result.next
            rows.append(
                {
                    "incident": incident,
                    "overdue": result.overdue,
                    "next": upcoming,
                    "next_name": upcoming.stage.name.get(lang) if upcoming else "",
                    "countdown": core.countdown_text(upcoming.remaining, lang) if upcoming else "",
                }
            )
        context.update(
            rows=rows, filter_form=self.filterset.form, query=query_without_page(self.request)
        )
        return context


class IncidentPage(OrganisationMixin, View):
    def incident(self, pk: int) -> Incident:
        return get_object_or_404(
            self.scope(
                Incident.objects.prefetch_related(
                    "services", "nodes", "systems", "suppliers", "timeline", "submissions"
                )
            ),
            pk=pk,
        )

    def show(
        self,
        request: HttpRequest,
        incident: Incident,
        timeline_form: TimelineForm | None = None,
        submission_form: SubmissionForm | None = None,
    ) -> HttpResponse:
        available = services.choices(self.organisation)
        result = services.deadlines(incident, available)
        lang = language()
        regime = result.choice.regime if result.choice else None
        context = {
            "object": incident,
            "deadlines": result,
            "deadline_rows": deadline_rows(result, lang),
            "regime_name": regime.name.get(lang) if regime else "",
            "stage_names": regime.stage_names(lang) if regime else {},
            "lessons": services.lessons_of(incident),
            "findings": services.findings_of(incident),
            "timeline_form": timeline_form or TimelineForm(incident=incident),
            "submission_form": submission_form or SubmissionForm(incident=incident, regime=regime),
            "may": {a.value: self.may(a) for a in Action},
        }
        failed = timeline_form is not None or submission_form is not None
        return render(
            request, "incidents/incident_detail.html", context, status=400 if failed else 200
        )


class IncidentDetailView(IncidentPage):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.show(request, self.incident(pk))


class IncidentEditView(ObjectEditView):
    model = Incident
    form_class = IncidentForm
    template_name = "incidents/form.html"
    detail_url = "incidents:incident_detail"
    list_url = "incidents:incident_list"


class IncidentDeleteView(ObjectDeleteView):
    model = Incident
    list_url = "incidents:incident_list"


class TimelineAddView(IncidentPage):
    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.incident(pk)
        form = TimelineForm(request.POST, incident=incident)
        if not form.is_valid():
            return self.show(request, incident, timeline_form=form)
        with transaction.atomic():
            form.save()
        messages.success(request, _("Saved."))
        return redirect("incidents:incident_detail", pk=incident.pk)


class SubmissionAddView(IncidentPage):
    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.incident(pk)
        choice = services.choices(self.organisation).get(incident.regime)
        form = SubmissionForm(
            request.POST, incident=incident, regime=choice.regime if choice else None
        )
        if not form.is_valid():
            return self.show(request, incident, submission_form=form)
        with transaction.atomic():
            form.save()
        messages.success(request, _("Saved."))
        return redirect("incidents:incident_detail", pk=incident.pk)


class TimelineDeleteView(ChildDeleteView):
    model = TimelineEntry
    parent_url = "incidents:incident_detail"
    parent_field = "incident_id"


class SubmissionDeleteView(ChildDeleteView):
    model = Submission
    parent_url = "incidents:incident_detail"
    parent_field = "incident_id"


class LessonFindingView(IncidentPage):
    """A lesson of the incident becomes a finding (source: incident)."""

    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.incident(pk)
        try:
            finding, created = services.finding_from_lesson(
                incident, request.POST.get("lesson", ""), request.user
            )
        except services.NoLesson as error:
            messages.error(request, str(error))
            return redirect("incidents:incident_detail", pk=incident.pk)
        if created:
            messages.success(request, _("The finding was recorded."))
        else:
            messages.info(request, _("This is already an open finding."))
        return redirect("improvements:finding_detail", pk=finding.pk)


class FireExportView(IncidentPage):
    """The incident in the FSB FIRE groups, as a JSON download."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.incident(pk)
        data = services.fire_data(incident, self.organisation)
        record_security_event(
            actions.EXPORT,
            organisation_id=self.organisation.pk,
            details={"register": "incident-fire", "incident": incident.code},
        )
        body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(
            True, f"incident-{incident.code}-fire.json"
        )
        return response


class ReportView(IncidentPage):
    """The incident report in Traditional Chinese, whatever the interface language: a page laid
    out for printing (or saving as PDF from the browser)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.incident(pk)
        with translation.override("zh-hant"):
            available = services.choices(self.organisation)
            result = services.deadlines(incident, available)
            regime = result.choice.regime if result.choice else None
            context = {
                "object": incident,
                "organisation": self.organisation,
                "deadline_rows": deadline_rows(result, "zh"),
                "regime": regime,
                "stage_names": regime.stage_names("zh") if regime else {},
                "lessons": services.lessons_of(incident),
                "findings": services.findings_of(incident),
                "generated": timezone.localtime(),
            }
            response = render(request, "incidents/report.html", context)
        record_security_event(
            actions.EXPORT,
            organisation_id=self.organisation.pk,
            details={"register": "incident-report", "incident": incident.code},
        )
        return response


class IncidentExportView(TableExportView):
    register_key = "incidents"
    list_url = "incidents:incident_list"

    def table(self, kind: str) -> tuple[bytes, str, str]:
        return services.export(self.organisation, kind)


# --- regimes ------------------------------------------------------------------------------------


class RegimeListView(OrganisationMixin, ListView):
    model = ReportingRegime
    paginate_by = PAGE_SIZE
    template_name = "incidents/regime_list.html"

    def get_queryset(self) -> QuerySet[Any]:
        self.filterset = page_filters(
            self.request, RegimeFilterSet, self.scope(ReportingRegime.objects.order_by("code"))
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        lang = language()
        context.update(
            shipped=[
                {"id": regime_id, "regime": regime, "name": regime.name.get(lang)}
                for regime_id, regime in services.shipped().items()
            ],
            query=query_without_page(self.request),
        )
        return context


class ShippedRegimeView(OrganisationMixin, View):
    def get(self, request: HttpRequest, regime_id: str) -> HttpResponse:
        regime = services.shipped().get(regime_id)
        if regime is None:
            raise Http404
        return render(request, "incidents/regime_detail.html", _regime_context(regime, None))


class RegimeDetailView(OrganisationMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        own = get_object_or_404(self.scope(ReportingRegime.objects.all()), pk=pk)
        try:
            regime = own.regime()
        except core.RegimeError as error:
            messages.error(request, str(error))
            regime = None
        context = _regime_context(regime, own)
        context["may"] = {a.value: self.may(a) for a in Action}
        return render(request, "incidents/regime_detail.html", context)


def _regime_context(regime: core.Regime | None, own: ReportingRegime | None) -> dict[str, Any]:
    lang = language()
    names = regime.stage_names(lang) if regime else {}
    return {
        "object": own,
        "regime": regime,
        "name": regime.name.get(lang) if regime else (own.name if own else ""),
        "stages": [
            {
                "stage": stage,
                "name": stage.name.get(lang),
                "limits": [limit.describe(lang, names) for limit in stage.within],
            }
            for stage in (regime.stages if regime else [])
        ],
    }


class RegimeEditView(ObjectEditView):
    action = Action.MANAGE
    model = ReportingRegime
    form_class = RegimeForm
    template_name = "incidents/form.html"
    detail_url = "incidents:regime_detail"
    list_url = "incidents:regime_list"


class RegimeDeleteView(ObjectDeleteView):
    model = ReportingRegime
    list_url = "incidents:regime_list"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        regime = get_object_or_404(self.scope(ReportingRegime.objects.all()), pk=pk)
        if Incident.objects.filter(organisation=self.organisation, regime=regime.key).exists():
            messages.error(request, _("Incidents follow this regime: it cannot be deleted."))
            return redirect("incidents:regime_detail", pk=regime.pk)
        return super().post(request, pk)
