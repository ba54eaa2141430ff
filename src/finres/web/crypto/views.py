"""Pages of the crypto inventory: the asset list with filters, an asset, each system's risk
assessment, the migration plan ordered by risk; CBOM import and export; XLSX/CSV.

Every object is reached through the organisation-scoped queryset (``OrganisationMixin``): an id
of another organisation is a 404. Reading needs VIEW, changing EDIT, importing and deleting
MANAGE.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView
from django.views.generic.edit import FormView

from finres.core import crypto as core
from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.crypto import services, tabular
from finres.web.crypto.filters import AssetFilterSet
from finres.web.crypto.forms import (
    AssetForm,
    CbomImportForm,
    MilestonesForm,
    PlanForm,
    RiskForm,
)
from finres.web.crypto.models import CryptoAsset, Exposure, SystemCryptoRisk
from finres.web.filtering import page_filters
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action
from finres.web.registers import formats
from finres.web.registers import views as registers_views
from finres.web.registers.models import InformationSystem
from finres.web.registers.views import query_without_page

PAGE_SIZE = 50


def factor_rows(lang: str) -> list[dict[str, Any]]:
    rules = core.load_rules()
    return [
        {
            "id": f.id,
            "name": f.name[lang],
            "question": f.question[lang],
            "levels": [(n, text[lang]) for n, text in sorted(f.levels.items())],
        }
        for f in rules.factors
    ]


def source_link(source: dict[str, Any], lang: str) -> dict[str, str]:
    """A source as a page links it: its name in the page's language, the original title."""
    return {"url": source["url"], "name": source["name"][lang], "title": source["title"]}


class AssetListView(OrganisationMixin, ListView):
    template_name = "crypto/asset_list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self) -> QuerySet[Any]:
        base = self.scope(CryptoAsset.objects.all()).select_related("system").order_by("code")
        self.filterset = page_filters(self.request, AssetFilterSet, base)
        return self.filterset.qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = dict(
            self.scope(CryptoAsset.objects.all())
            .values_list("exposure")
            .annotate(n=Count("pk"))
            .values_list("exposure", "n")
        )
        context.update(
            filter_form=self.filterset.form,
            query=query_without_page(self.request),
            total=sum(counts.values()),
            counts=[(value, label, counts.get(value, 0)) for value, label in Exposure.choices],
        )
        return context


class AssetDetailView(OrganisationMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        asset = get_object_or_404(self.scope(CryptoAsset.objects.select_related("system")), pk=pk)
        found = asset.assess()
        rules = core.load_rules()
        lang = services.language()
        context = {
            "object": asset,
            "exposure": found.as_data(rules, lang),
            "sources": [source_link(rules.sources[key], lang) for key in found.sources],
            "may": {a.value: self.may(a) for a in Action},
        }
        return render(request, "crypto/asset_detail.html", context)


class AssetEditView(registers_views.ObjectEditView):
    template_name = "crypto/form.html"
    model = CryptoAsset
    form_class = AssetForm
    detail_url = "crypto:asset_detail"
    list_url = "crypto:asset_list"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = context["object"]
        context["heading"] = (
            _("Edit %(object)s") % {"object": obj} if obj else _("New crypto asset")
        )
        return context

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class RiskView(OrganisationMixin, View):
    """The measure's risk factors for one system of the register (pk: the system)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            self.action = Action.EDIT
        return super().dispatch(request, *args, **kwargs)

    def _context(self, system: InformationSystem, form: RiskForm) -> dict[str, Any]:
        lang = services.language()
        assets = list(system.crypto_assets.all().order_by("code"))
        exposures = [a.assess() for a in assets]
        rules = core.load_rules()
        years = form.instance.data_secrecy_years if form.instance.pk else None
        return {
            "system": system,
            "form": form,
            "factors": factor_rows(lang),
            "assets": list(zip(assets, [e.as_data(rules, lang) for e in exposures], strict=True)),
            "vulnerability": core.vulnerability_score(exposures, rules),
            "years_score": core.years_score(years, rules),
            "may": {a.value: self.may(a) for a in Action},
        }

    def _system(self, pk: int) -> tuple[InformationSystem, SystemCryptoRisk]:
        system = get_object_or_404(self.scope(InformationSystem.objects.all()), pk=pk)
        risk = SystemCryptoRisk.objects.filter(system=system).first()
        return system, risk or SystemCryptoRisk(organisation=self.organisation, system=system)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        system, risk = self._system(pk)
        return render(request, "crypto/risk.html", self._context(system, RiskForm(instance=risk)))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        system, risk = self._system(pk)
        form = RiskForm(request.POST, instance=risk)
        if not form.is_valid():
            return render(request, "crypto/risk.html", self._context(system, form), status=400)
        with transaction.atomic():
            form.save()
        messages.success(request, _("Saved."))
        return redirect("crypto:plan")


class PlanView(OrganisationMixin, View):
    """The migration plan ordered by risk; POST changes the threat horizon (MANAGE)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            self.action = Action.MANAGE
        return super().dispatch(request, *args, **kwargs)

    def _context(self, form: PlanForm | None = None) -> dict[str, Any]:
        plan = services.plan_settings(self.organisation)
        data = services.plan_for(self.organisation)
        codes = [e["system"] for e in data["plan"] if e["system"]]
        ids = dict(
            InformationSystem.objects.filter(
                organisation=self.organisation, code__in=codes
            ).values_list("code", "pk")
        )
        for entry in data["plan"]:
            entry["system_id"] = ids.get(entry["system"])
        unassessed = (
            self.scope(InformationSystem.objects.all())
            .filter(Q(crypto_risk__isnull=True))
            .order_by("code")
            .only("pk", "code", "name")[:200]
        )
        lang = services.language()
        return {
            "data": data,
            "sources": [source_link(source, lang) for source in data["sources"].values()],
            "plan": plan,
            "form": form or PlanForm(instance=plan),
            "milestones_form": MilestonesForm(),
            "unassessed": unassessed,
            "may": {a.value: self.may(a) for a in Action},
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "crypto/plan.html", self._context())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PlanForm(request.POST, instance=services.plan_settings(self.organisation))
        if not form.is_valid():
            return render(request, "crypto/plan.html", self._context(form), status=400)
        with transaction.atomic():
            form.save()
        messages.success(request, _("Saved."))
        return redirect("crypto:plan")


class PlanMilestonesView(OrganisationMixin, View):
    """Create (or complete) the improvement plan that carries the plan's milestones."""

    action = Action.MANAGE

    def post(self, request: HttpRequest) -> HttpResponse:
        form = MilestonesForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(str(e) for e in form.errors.get("due_date", [])))
            return redirect("crypto:plan")
        finding = services.ensure_plan_finding(
            self.organisation, request.user, form.cleaned_data["due_date"]
        )
        messages.success(request, _("The improvement plan holds the migration plan's milestones."))
        return redirect("improvements:finding_detail", pk=finding.pk)


class CbomExportView(OrganisationMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        document = services.export_cbom(self.organisation)
        record_security_event(
            actions.EXPORT,
            organisation_id=self.organisation.pk,
            details={"register": "crypto-assets", "format": "cbom"},
        )
        response = HttpResponse(
            json.dumps(document, ensure_ascii=False, indent=2),
            content_type="application/vnd.cyclonedx+json",
        )
        response["Content-Disposition"] = content_disposition_header(True, "cbom.cdx.json")
        return response


class CbomImportView(OrganisationMixin, FormView):
    action = Action.MANAGE
    form_class = CbomImportForm
    template_name = "crypto/cbom_import.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["organisation"] = self.organisation
        return kwargs

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form: Any) -> HttpResponse:
        upload = form.cleaned_data["file"]
        if upload.size > services.CBOM_MAX_BYTES:
            form.add_error("file", _("The file is larger than 20 MiB."))
            return self.form_invalid(form)
        result = services.import_upload(
            self.organisation, upload.read(), upload.name, form.cleaned_data["system"]
        )
        if not result.ok:
            context = self.get_context_data(form=form, errors=result.errors)
            return self.render_to_response(context, status=400)
        messages.success(
            self.request,
            _("Imported: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.")
            % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        )
        return redirect("crypto:asset_list")


class AssetDeleteView(registers_views.ObjectDeleteView):
    model = CryptoAsset
    list_url = "crypto:asset_list"


class TableExportView(registers_views.TableExportView):
    register_key = tabular.REGISTER.key
    list_url = "crypto:asset_list"

    def table(self, kind: str) -> tuple[bytes, str, str]:
        return formats.export(tabular.REGISTER, self.organisation, kind)


class TableImportView(registers_views.TableImportView):
    register = tabular.REGISTER
    list_url = "crypto:asset_list"
    template_name = "crypto/table_import.html"
