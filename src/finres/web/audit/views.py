from __future__ import annotations

import csv
import json
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import ListView

from finres.web.audit import actions, present, versioned
from finres.web.audit.log import record_security_event
from finres.web.audit.models import AuditEvent
from finres.web.jobs import kinds as job_kinds
from finres.web.jobs import services as job_services
from finres.web.jobs.models import Job
from finres.web.jobs.views import visible_jobs
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FilterForm(forms.Form):
    """Who, what (action or object type), when (local dates) and which object."""

    who = forms.CharField(label=gettext_lazy("Who"), required=False, max_length=150)
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    model = forms.ChoiceField(label=gettext_lazy("Object type"), required=False)
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=DATE)
    until = forms.DateField(label=gettext_lazy("To"), required=False, widget=DATE)
    object = forms.CharField(label=gettext_lazy("Object"), required=False, max_length=300)

    def __init__(self, data: Any, models: list[str]) -> None:
        super().__init__(data)
        any_ = [("", _("Any"))]
        self.fields["action"].choices = any_ + actions.choices()
        labelled = sorted(((m, present.model_label(m)) for m in models), key=lambda c: c[1])
        self.fields["model"].choices = any_ + labelled

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned

    def apply(self, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """Only the events matching the valid filters (invalid ones are shown, not applied)."""
        data = self.cleaned_data if self.is_valid() else {}
        if who := (data.get("who") or "").strip():
            queryset = queryset.filter(actor_name__icontains=who)
        if action := data.get("action"):
            queryset = queryset.filter(action=action)
        if model := data.get("model"):
            queryset = queryset.filter(model=model)
        if since := data.get("since"):
            queryset = queryset.filter(timestamp__gte=present.utc_bound(since))
        if until := data.get("until"):
            queryset = queryset.filter(timestamp__lt=present.utc_bound(until, end=True))
        if obj := (data.get("object") or "").strip():
            queryset = queryset.filter(Q(object_repr__icontains=obj) | Q(object_id=obj))
        return queryset


class AuditMixin(OrganisationMixin):
    action = Action.AUDIT
    model = AuditEvent
    organisation_path = "organisation_id"

    def scope(self, queryset: Any) -> Any:
        return queryset.filter(organisation_id=self.organisation.pk)

    def filter_form(self) -> FilterForm:
        def object_types() -> list[str]:
            events = self.scope(AuditEvent.objects.all()).order_by()
            return list(events.values_list("model", flat=True).distinct())

        # the kinds of object in the trail, read from every event once per version of the trail
        models = versioned.cached(self.organisation.pk, "audit-object-types", object_types)
        return FilterForm(self.request.GET or None, models)

    def filtered(self) -> QuerySet[AuditEvent]:
        return self.form.apply(self.scope(AuditEvent.objects.all()))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.form: FilterForm = FilterForm(None, [])
        return super().dispatch(request, *args, **kwargs)


class AuditListView(AuditMixin, ListView):
    """The organisation's audit trail, newest first, filtered, with the chain's integrity."""

    paginate_by = 50
    template_name = "audit/list.html"

    def get_queryset(self) -> Any:
        self.form = self.filter_form()
        return self.filtered().order_by("-sequence")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        presenter = present.Presenter()
        context["rows"] = [presenter.row(event) for event in context["object_list"]]
        context["form"] = self.form
        context["zone"] = present.zone_name()
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("verification", None)
        context["query"] = query.urlencode()
        context["verification"] = self.verification()
        return context

    def verification(self) -> Job | None:
        """The finished verification named by ``?verification=`` (one this role may see)."""
        wanted = self.request.GET.get("verification", "")
        if not wanted.isdigit():
            return None
        return (
            visible_jobs(self.organisation, self.role)
            .filter(pk=int(wanted), kind=job_kinds.AUDIT_VERIFY, state=Job.State.SUCCEEDED)
            .first()
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Verify the chain in a background job; a quick one's result is shown here at once,
        a longer one's page shows its progress."""
        job = job_services.start_or_join(job_kinds.AUDIT_VERIFY, self.organisation, request.user)
        job = job_services.wait(job)
        if job.state == Job.State.SUCCEEDED:
            return HttpResponseRedirect(f"{reverse('audit:list')}?verification={job.pk}")
        return HttpResponseRedirect(reverse("jobs:detail", args=[job.pk]))


def formula_safe(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula: a leading = + - @ TAB CR gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class AuditExportView(AuditMixin, ListView):
    """The filtered trail as CSV: readable columns, changes as JSON, formula-safe cells."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.form = self.filter_form()
        events = self.filtered().order_by("sequence")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
        response["Cache-Control"] = "private, no-store"
        response.write("\ufeff")  # so that spreadsheet programs read UTF-8
        writer = csv.writer(response)
        header = [
            _("Sequence"),
            _("When ({zone})").format(zone=present.zone_name()),
            _("Who"),
            _("Action"),
            _("Object type"),
            _("Object id"),
            _("Object"),
            _("Changes (JSON)"),
            _("Hash"),
        ]
        writer.writerow([formula_safe(cell) for cell in header])
        presenter = present.Presenter()
        count = 0
        for event in events.iterator():
            row = presenter.row(event)
            changes: dict[str, Any] = {c.label: [c.before, c.after] for c in row.changes}
            if event.action in actions.SECURITY_ACTIONS:
                changes = {c.label: c.after for c in row.changes}
            cells = [
                event.sequence,
                row.when,
                event.actor_name,
                row.action,
                row.what,
                event.object_id,
                event.object_repr,
                json.dumps(changes, ensure_ascii=False),
                event.hash,
            ]
            writer.writerow([formula_safe(cell) for cell in cells])
            count += 1
        filters = {k: request.GET[k][:300] for k in self.form.fields if request.GET.get(k)}
        record_security_event(
            actions.EXPORT,
            details={"file": "audit-trail.csv", "rows": count, "filters": filters},
        )
        return response
