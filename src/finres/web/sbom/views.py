"""Pages of the SBOM app: the list, the import, an SBOM with its vulnerabilities, the diff
against the previous version, the advisory data, the finding threshold.

Every SBOM is reached through the organisation-scoped queryset (``OrganisationMixin``): an id of
another organisation is a 404. Reading needs VIEW; importing, matching and the threshold
MANAGE (as the crypto inventory's CBOM import).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from finres.core import remediation
from finres.web.jobs import services as job_services
from finres.web.language import current_language
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action
from finres.web.sbom import advisories, jobs, services
from finres.web.sbom.forms import SbomImportForm, SettingsForm
from finres.web.sbom.models import Sbom, VulnerabilityMatch


def _sla_note() -> str:
    sla = remediation.default_sla()
    return sla.note.en if current_language() == "en" else sla.note.zh


class SbomListView(OrganisationMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        sboms = (
            self.scope(Sbom.objects.all())
            .select_related("system", "supplier")
            .order_by("system__code", "name", "-imported_at")
        )
        show_all = request.GET.get("all") == "1"
        if not show_all:
            sboms = sboms.filter(current=True)
        context = {
            "sboms": sboms[:500],
            "show_all": show_all,
            "numbers": services.dashboard_numbers(self.organisation),
            "configured": advisories.is_configured(),
            "may": {a.value: self.may(a) for a in Action},
        }
        return render(request, "sbom/list.html", context)


class SbomImportView(OrganisationMixin, View):
    action = Action.MANAGE
    template_name = "sbom/import.html"

    def _render(self, form: SbomImportForm, status: int = 200, **extra: Any) -> HttpResponse:
        context = {"form": form, "configured": advisories.is_configured(), **extra}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(SbomImportForm(organisation=self.organisation))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SbomImportForm(request.POST, request.FILES, organisation=self.organisation)
        if not form.is_valid():
            return self._render(form, status=400)
        upload = form.cleaned_data["file"]
        if upload.size > services.MAX_BYTES:
            form.add_error("file", _("The file is larger than 100 MiB."))
            return self._render(form, status=400)
        job = start_import(self.organisation, request.user, upload, form.cleaned_data)
        job = job_services.wait(job)
        if not job.is_finished:
            return HttpResponseRedirect(reverse("jobs:detail", args=[job.pk]))
        if job.state == job.State.FAILED:
            return self._render(form, status=400, errors=[job.error])
        summary = job.summary()
        messages.success(
            request,
            _(
                "Imported: %(components)s components, %(vulnerable)s vulnerable, "
                "%(kev)s with a KEV-listed vulnerability, %(findings)s new findings."
            )
            % {
                "components": summary.get("components", 0),
                "vulnerable": summary.get("vulnerable_components", 0),
                "kev": summary.get("kev_components", 0),
                "findings": summary.get("new_findings", 0),
            },
        )
        return redirect("sbom:detail", pk=summary["sbom"])


def start_import(organisation: Any, user: Any, upload: Any, fields: dict[str, Any]) -> Any:
    """The upload stored, and the import-and-match job started (shared with the API)."""
    stored = job_services.store_upload(organisation.pk, upload)
    supplier = fields.get("supplier")
    return job_services.enqueue(
        jobs.IMPORT,
        organisation,
        user,
        {
            "file": stored,
            "name": upload.name,
            "size": upload.size,
            "system": fields["system"].pk,
            "supplier": supplier.pk if supplier else None,
            "sbom_name": fields.get("name") or "",
            "sbom_version": fields.get("version") or "",
        },
    )


class RematchView(OrganisationMixin, View):
    action = Action.MANAGE

    def post(self, request: HttpRequest) -> HttpResponse:
        job = job_services.start_or_join(jobs.REMATCH, self.organisation, request.user, {})
        job = job_services.wait(job)
        if not job.is_finished:
            return HttpResponseRedirect(reverse("jobs:detail", args=[job.pk]))
        if job.state == job.State.FAILED:
            messages.error(request, job.error)
        else:
            summary = job.summary()
            messages.success(
                request,
                _("Matched again: %(sboms)s SBOMs, %(findings)s new findings.")
                % {"sboms": summary.get("sboms", 0), "findings": summary.get("new_findings", 0)},
            )
        return redirect("sbom:list")


class SbomDetailView(OrganisationMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        sbom = get_object_or_404(
            self.scope(Sbom.objects.select_related("system", "supplier", "imported_by")), pk=pk
        )
        matches = VulnerabilityMatch.objects.select_related("finding").order_by(
            "-kev", "score", "advisory_id"
        )
        # Only the components with a match are read for the list (an SBOM has hundreds or
        # thousands of components, mostly without one); every component only on request.
        matched = (
            sbom.components.filter(vulnerabilities__isnull=False)
            .distinct()
            .prefetch_related(Prefetch("vulnerabilities", queryset=matches))
            .order_by("position")
        )
        language = current_language()
        vulnerable = []
        for component in matched:
            found = sorted(
                component.vulnerabilities.all(),
                key=lambda m: (not m.kev, -(m.score or -1.0), m.advisory_id),
            )
            if found:
                rows = [(m, m.why(language)) for m in found]
                vulnerable.append((component, rows, any(m.kev and not m.vex_status for m in found)))
        vulnerable.sort(key=lambda item: (not item[2], item[0].position))
        show_all = request.GET.get("components") == "all"
        notes = (
            [(c, c.note_text(language)) for c in sbom.components.order_by("position")]
            if show_all
            else []
        )
        context = {
            "sbom": sbom,
            "vulnerable": vulnerable,
            "components": notes,
            "show_all": show_all,
            "unmatched": sbom.components.exclude(note="").count(),
            "no_longer_matched": services.no_longer_matched(sbom),
            "sla_note": _sla_note(),
            "may": {a.value: self.may(a) for a in Action},
        }
        return render(request, "sbom/detail.html", context)


class SbomDiffView(OrganisationMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        sbom = get_object_or_404(self.scope(Sbom.objects.select_related("system")), pk=pk)
        previous = (
            self.scope(Sbom.objects.all()).filter(pk=sbom.previous_id).first()
            if sbom.previous_id
            else None
        )
        changes = services.diff(previous, sbom) if previous is not None else None
        context = {"sbom": sbom, "previous": previous, "diff": changes}
        return render(request, "sbom/diff.html", context)


class AdvisoryDataView(OrganisationMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        context = {"data": advisories.current(), "may": {a.value: self.may(a) for a in Action}}
        return render(request, "sbom/advisories.html", context)


class SettingsView(OrganisationMixin, View):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            self.action = Action.MANAGE
        return super().dispatch(request, *args, **kwargs)

    def _render(self, form: SettingsForm, status: int = 200) -> HttpResponse:
        context = {
            "form": form,
            "sla": remediation.default_sla(),
            "sla_note": _sla_note(),
            "may": {a.value: self.may(a) for a in Action},
        }
        return render(self.request, "sbom/settings.html", context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(SettingsForm(instance=services.settings_for(self.organisation)))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SettingsForm(request.POST, instance=services.settings_for(self.organisation))
        if not form.is_valid():
            return self._render(form, status=400)
        with transaction.atomic():
            form.save()
        messages.success(request, _("Saved."))
        return redirect("sbom:settings")
