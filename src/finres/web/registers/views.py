"""Pages of the registers: systems, suppliers (with due-diligence records), sites, the derived
profile facts and the tiering rules; export and import of each register.

Every object is reached through the organisation-scoped queryset (``OrganisationMixin``), so an
id of another organisation is a 404. Reading needs VIEW, changing EDIT, importing and deleting
MANAGE.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, ProtectedError, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView
from django.views.generic.edit import FormView

from finres.core import registers as core
from finres.web.audit import actions
from finres.web.audit.log import record_security_event
from finres.web.filtering import page_filters
from finres.web.language import current_language
from finres.web.orgs.access import OrganisationMixin
from finres.web.orgs.roles import Action
from finres.web.paging import IdsFirstPaginator, counted
from finres.web.registers import facts, formats, tabular
from finres.web.registers.filters import (
    SiteFilterSet,
    SupplierFilterSet,
    SystemFilterSet,
)
from finres.web.registers.forms import (
    ImportForm,
    SiteForm,
    SupplierForm,
    SupplierReviewForm,
    SystemForm,
)
from finres.web.registers.models import InformationSystem, Site, Supplier, tiering
from finres.web.registers.requirements import for_system, scoped_requirements

PAGE_SIZE = 50


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def lang() -> str:
    return "en" if current_language() == "en" else "zh"


class RegisterListView(OrganisationMixin, ListView):
    paginate_by = PAGE_SIZE
    filterset_class: Any = None
    register: formats.Register

    def base_queryset(self) -> QuerySet[Any]:
        return self.scope(self.model.objects.all())

    def page_counts(self) -> dict[str, Any]:
        """Counts shown per row, computed for the page's rows only (not to sort every row)."""
        return {}

    def get_paginator(self, queryset: Any, per_page: int, **kwargs: Any) -> IdsFirstPaginator:
        counts = self.page_counts()
        return IdsFirstPaginator(
            queryset, per_page, page_rows=lambda rows: rows.annotate(**counts), **kwargs
        )

    def get_queryset(self) -> QuerySet[Any]:
        self.filterset = page_filters(self.request, self.filterset_class, self.base_queryset())
        return self.filterset.qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            filter_form=self.filterset.form,
            query=query_without_page(self.request),
            register=self.register.key,
            total=counted(self.scope(self.model.objects.all())),
        )
        return context


class OrganisationFormMixin(OrganisationMixin):
    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["organisation"] = self.organisation
        return kwargs


class ObjectEditView(OrganisationFormMixin, FormView):
    """Create (no ``pk``) or edit an object of the organisation."""

    action = Action.EDIT
    template_name = "registers/form.html"
    model: Any
    detail_url: str
    list_url: str

    def get_object(self) -> Any:
        if "pk" not in self.kwargs:
            return None
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(
                self.scope(self.model.objects.all()), pk=self.kwargs["pk"]
            )
        return self._object

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.get_object()
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        context.update(
            object=obj,
            kind=self.model._meta.verbose_name,
            cancel=reverse(self.detail_url, args=[obj.pk]) if obj else reverse(self.list_url),
            criteria=self.model is InformationSystem,
        )
        return context

    @transaction.atomic
    def form_valid(self, form: Any) -> HttpResponse:
        obj = form.save()
        messages.success(self.request, _("Saved."))
        return redirect(self.detail_url, pk=obj.pk)


class ObjectDeleteView(OrganisationMixin, View):
    action = Action.MANAGE
    model: Any
    list_url: str

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = get_object_or_404(self.scope(self.model.objects.all()), pk=pk)
        try:
            with transaction.atomic():
                obj.delete()
        except ProtectedError:
            messages.error(request, _("It is still referred to and cannot be deleted."))
            return redirect(request.META.get("HTTP_REFERER") or reverse(self.list_url))
        messages.success(request, _("Deleted: %(object)s") % {"object": obj})
        return redirect(self.list_url)


class ChildDeleteView(OrganisationMixin, View):
    """Delete a row shown on another object's page (a dependency, a drill result, a timeline
    entry), then go back to that page."""

    action = Action.EDIT
    model: Any
    parent_url: str
    parent_field: str  # the row's attribute holding the page's object id

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = get_object_or_404(self.scope(self.model.objects.all()), pk=pk)
        with transaction.atomic():
            row.delete()
        messages.success(request, _("Deleted: %(object)s") % {"object": row})
        return redirect(self.parent_url, pk=getattr(row, self.parent_field))


# --- systems ------------------------------------------------------------------------------------


class SystemListView(RegisterListView):
    model = InformationSystem
    filterset_class = SystemFilterSet
    register = formats.SYSTEMS
    template_name = "registers/system_list.html"

    def base_queryset(self) -> QuerySet[Any]:
        return super().base_queryset().order_by("code")

    def page_counts(self) -> dict[str, Any]:
        return {
            "site_count": Count("sites", distinct=True),
            "supplier_count": Count("suppliers", distinct=True),
        }


class SystemDetailView(OrganisationMixin, DetailView):
    model = InformationSystem
    template_name = "registers/system_detail.html"

    def get_queryset(self) -> QuerySet[Any]:
        return (
            super().get_queryset().select_related("reviewer").prefetch_related("sites", "suppliers")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        system = self.object
        context["requirements"] = for_system(
            system.scopes(), scoped_requirements(self.organisation) if system.is_core else {}
        )
        due = system.review_due_on()
        context["review_due"] = due
        context["review_overdue"] = due is None or due < timezone.localdate()
        return context


class SystemEditView(ObjectEditView):
    model = InformationSystem
    form_class = SystemForm
    detail_url = "registers:system_detail"
    list_url = "registers:system_list"


class SystemDeleteView(ObjectDeleteView):
    model = InformationSystem
    list_url = "registers:system_list"


# --- suppliers ----------------------------------------------------------------------------------


def tier_names() -> dict[str, str]:
    return {t.id: t.name.get(lang()) for t in tiering().tiers}


class SupplierListView(RegisterListView):
    model = Supplier
    filterset_class = SupplierFilterSet
    register = formats.SUPPLIERS
    template_name = "registers/supplier_list.html"

    def base_queryset(self) -> QuerySet[Any]:
        return super().base_queryset().with_last_review().order_by("code")

    def page_counts(self) -> dict[str, Any]:
        return {"system_count": Count("systems", distinct=True)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        names = tier_names()
        for supplier in context["object_list"]:
            supplier.tier_name = names.get(supplier.tier, supplier.tier)
            supplier.gap_list = supplier.gaps(today)
        context["gap_labels"] = gap_labels()
        return context


def gap_labels() -> dict[str, str]:
    return {
        core.Gap.EXIT_PLAN: _("No exit plan"),
        core.Gap.DR_ASSESSMENT: _("DR capability not assessed"),
        core.Gap.REVIEW_NEVER: _("Never reviewed"),
        core.Gap.REVIEW_OVERDUE: _("Review overdue"),
        core.Gap.CLAUSES: _("Contract clauses missing"),
    }


class SupplierPageMixin(OrganisationMixin):
    def supplier_context(self, supplier: Supplier, review_form: Any = None) -> dict[str, Any]:
        rules = tiering()
        today = timezone.localdate()
        reviews = list(supplier.reviews.all())
        last = max((r.performed_on for r in reviews), default=None)
        tier = supplier.current_tier()
        present = set(supplier.contract_clauses or [])
        required = {c.id for c in core.required_clauses(rules, tier.id, supplier.cloud_services)}
        clauses = [
            {
                "clause": c,
                "name": c.name.get(lang()),
                "present": c.id in present,
                "required": c.id in required,
            }
            for c in rules.clauses
            if c.id in required or c.id in present
        ]
        decision = supplier.decide_tier()
        return {
            "supplier": supplier,
            "object": supplier,
            "tier": tier,
            "tier_name": tier.name.get(lang()),
            "tier_reason": decision.rule.reason.get(lang()) if decision.rule else _("Default tier"),
            "clauses": clauses,
            "gaps": [gap_labels()[g] for g in supplier.gaps(today, last)],
            "reviews": reviews,
            "review_due": core.review_due(tier, last),
            "systems": supplier.systems.order_by("code"),
            "review_form": review_form or SupplierReviewForm(),
            "may": {a.value: self.may(a) for a in Action},
        }


class SupplierDetailView(SupplierPageMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        supplier = get_object_or_404(self.scope(Supplier.objects.all()), pk=pk)
        return render(request, "registers/supplier_detail.html", self.supplier_context(supplier))


class SupplierReviewAddView(SupplierPageMixin, View):
    action = Action.EDIT

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        supplier = get_object_or_404(self.scope(Supplier.objects.all()), pk=pk)
        form = SupplierReviewForm(request.POST)
        if not form.is_valid():
            context = self.supplier_context(supplier, form)
            return render(request, "registers/supplier_detail.html", context, status=400)
        with transaction.atomic():
            review = form.save(commit=False)
            review.organisation = self.organisation
            review.supplier = supplier
            review.save()
        messages.success(request, _("The review was recorded."))
        return redirect("registers:supplier_detail", pk=supplier.pk)


class SupplierEditView(ObjectEditView):
    model = Supplier
    form_class = SupplierForm
    detail_url = "registers:supplier_detail"
    list_url = "registers:supplier_list"


class SupplierDeleteView(ObjectDeleteView):
    model = Supplier
    list_url = "registers:supplier_list"


# --- sites --------------------------------------------------------------------------------------


class SiteListView(RegisterListView):
    model = Site
    filterset_class = SiteFilterSet
    register = formats.SITES
    template_name = "registers/site_list.html"

    def base_queryset(self) -> QuerySet[Any]:
        return super().base_queryset().order_by("code")

    def page_counts(self) -> dict[str, Any]:
        return {"system_count": Count("systems")}


class SiteDetailView(OrganisationMixin, DetailView):
    model = Site
    template_name = "registers/site_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["systems"] = self.object.systems.order_by("code")[:200]
        return context


class SiteEditView(ObjectEditView):
    model = Site
    form_class = SiteForm
    detail_url = "registers:site_detail"
    list_url = "registers:site_list"


class SiteDeleteView(ObjectDeleteView):
    model = Site
    list_url = "registers:site_list"


# --- export and import --------------------------------------------------------------------------


def register_of(key: str) -> formats.Register:
    register = formats.REGISTERS.get(key)
    if register is None:
        raise Http404
    return register


class TableExportView(OrganisationMixin, View):
    """A list as XLSX (default) or CSV (``?format=``), recorded in the audit trail as an export.
    Subclasses name the list page to return to and write the table."""

    register_key: str
    list_url: str

    def table(self, kind: str) -> tuple[bytes, str, str]:
        """(content, content type, file name)."""
        raise NotImplementedError

    def get_register_key(self) -> str:
        return self.register_key

    def get_list_url(self) -> str:
        return self.list_url

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        kind = request.GET.get("format", "xlsx")
        if kind not in ("xlsx", "csv"):
            messages.error(request, _("Choose XLSX or CSV."))
            return redirect(self.get_list_url())
        content, content_type, name = self.table(kind)
        record_security_event(
            actions.EXPORT,
            organisation_id=self.organisation.pk,
            details={"register": self.get_register_key(), "format": kind},
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response


class TableImportView(OrganisationMixin, FormView):
    """An XLSX or CSV file in a register's table format: checked whole, applied or not at all."""

    action = Action.MANAGE
    form_class = ImportForm
    register: formats.Register
    list_url: str

    def get_register(self) -> formats.Register:
        return self.register

    def get_list_url(self) -> str:
        return self.list_url

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        register = self.get_register()
        context.update(register=register, columns=register.header())
        return context

    def form_invalid(self, form: ImportForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form: ImportForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        try:
            report = formats.import_table(
                self.get_register(), self.organisation, upload.file, upload.name, upload.size
            )
        except tabular.TableError as error:
            form.add_error("file", error.message)
            return self.form_invalid(form)
        if not report.ok:
            context = self.get_context_data(form=form, report=report)
            return self.render_to_response(context, status=400)
        messages.success(
            self.request,
            _(
                "Imported %(rows)s rows: %(created)s new, %(updated)s changed, "
                "%(unchanged)s unchanged."
            )
            % {
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
        )
        return redirect(self.get_list_url())


class RegisterFromURL:
    """The register a URL names (``<register>``): 404 for another name."""

    kwargs: dict[str, Any]

    def get_register(self) -> formats.Register:
        return register_of(self.kwargs["register"])

    def get_register_key(self) -> str:
        return self.get_register().key

    def get_list_url(self) -> str:
        return f"registers:{self.get_register().key[:-1]}_list"


class ExportView(RegisterFromURL, TableExportView):
    def table(self, kind: str) -> tuple[bytes, str, str]:
        return formats.export(self.get_register(), self.organisation, kind)


class ImportView(RegisterFromURL, TableImportView):
    template_name = "registers/import.html"


# --- facts and rules ----------------------------------------------------------------------------


class FactsView(OrganisationMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "registers/facts.html", facts.page_context(self.organisation, self))

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.may(Action.MANAGE):
            raise PermissionDenied(_("Your role may not change the profile."))
        return facts.apply_from_request(request, self.organisation, self)


class RulesView(OrganisationMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        rules = tiering()
        language = lang()
        context = {
            "tiers": [
                {
                    "tier": t,
                    "name": t.name.get(language),
                    "description": t.description.get(language),
                }
                for t in rules.tiers
            ],
            "rules": [
                {
                    "rule": r,
                    "tier": rules.tier(r.tier).name.get(language),
                    "reason": r.reason.get(language),
                }
                for r in rules.rules
            ],
            "default_tier": rules.tier(rules.default_tier).name.get(language),
            "clauses": [{"clause": c, "name": c.name.get(language)} for c in rules.clauses],
            "tier_names": {t.id: t.name.get(language) for t in rules.tiers},
        }
        return render(request, "registers/rules.html", context)
