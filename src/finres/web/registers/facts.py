"""The profile facts the registers answer (``finres.core.registers.derive_facts``), shown with
the entries that are the reason beside what the profile states (``Organisation.facts``, a
mapping of fact to true or false; a fact not listed is unknown), and applied to the profile on
request (one audited save of the organisation).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from finres.core import registers as core
from finres.web.audit import versioned
from finres.web.orgs.models import Organisation
from finres.web.registers.forms import ApplyFactsForm
from finres.web.registers.models import InformationSystem, Supplier

FACT_LABELS = {
    core.RegisterFact.INTERNET_FACING_CORE_SYSTEMS: gettext_lazy(
        "Has core systems that provide internet services"
    ),
    core.RegisterFact.MATERIAL_CLOUD_OUTSOURCING: gettext_lazy("Material cloud outsourcing"),
    core.RegisterFact.HYBRID_CLOUD: gettext_lazy(
        "Hybrid cloud (cloud joined to on-premises systems)"
    ),
    core.RegisterFact.OFFSHORE_PROCESSING: gettext_lazy("Data processed abroad"),
    core.RegisterFact.CROSS_BORDER_PERSONAL_DATA: gettext_lazy(
        "Personal data transferred across borders"
    ),
    core.RegisterFact.NATURAL_PERSON_MATERIAL_SYSTEM_ON_CLOUD: gettext_lazy(
        "A material system for natural-person customers on the cloud"
    ),
}
FACT_SOURCES = {
    core.RegisterFact.INTERNET_FACING_CORE_SYSTEMS: "TWSE CC-17010",
    core.RegisterFact.MATERIAL_CLOUD_OUTSOURCING: "新興科技指引 第6、8、9條",
    core.RegisterFact.HYBRID_CLOUD: "新興科技指引 第8條第3款第6目",
    core.RegisterFact.OFFSHORE_PROCESSING: "新興科技指引 第4條第1項第5款",
    core.RegisterFact.CROSS_BORDER_PERSONAL_DATA: "新興科技指引 第8條第6款第2目",
    core.RegisterFact.NATURAL_PERSON_MATERIAL_SYSTEM_ON_CLOUD: (
        "新興科技指引 第7條第2項、第8條第6款第3目"
    ),
}


def entries(
    organisation: Organisation,
) -> tuple[list[core.SystemEntry], list[core.SupplierEntry]]:
    """The registers' entries in three queries, whatever their number."""
    countries: dict[int, set[str]] = defaultdict(set)
    links = InformationSystem.sites.through.objects.filter(
        informationsystem__organisation=organisation
    ).values_list("informationsystem_id", "site__country")
    for system_id, country in links:
        countries[system_id].add(country)
    systems = [
        core.SystemEntry(
            id=row["pk"],
            code=row["code"],
            name=row["name"],
            classification=core.Classification(row["classification"]),
            internet_facing=row["internet_facing"],
            hosting=core.Hosting(row["hosting"]),
            data_sensitivity=core.DataSensitivity(row["data_sensitivity"]),
            material=row["material"],
            natural_person_customers=row["natural_person_customers"],
            countries=frozenset({row["data_location"], *countries[row["pk"]]}),
        )
        for row in InformationSystem.objects.filter(organisation=organisation)
        .order_by("code")
        .values(
            "pk",
            "code",
            "name",
            "classification",
            "internet_facing",
            "hosting",
            "data_sensitivity",
            "material",
            "natural_person_customers",
            "data_location",
        )
    ]
    suppliers = [
        core.SupplierEntry(
            id=row["pk"],
            code=row["code"],
            name=row["name"],
            processing_country=row["processing_location"],
            data_sensitivity=core.DataSensitivity(row["data_sensitivity"]),
            system_access=core.SystemAccess(row["system_access"]),
        )
        for row in Supplier.objects.filter(organisation=organisation)
        .order_by("code")
        .values("pk", "code", "name", "processing_location", "data_sensitivity", "system_access")
    ]
    return systems, suppliers


def derive(organisation: Organisation) -> dict[core.RegisterFact, core.Derivation]:
    """The derived facts, kept under the organisation's audit trail position
    (``audit.versioned``): judging 10,000 systems in Python on every view of the page or the
    API took 100 ms and more."""
    return versioned.cached(
        organisation.pk,
        "register-facts",
        lambda: core.derive_facts(*entries(organisation)),
        core.HOME_COUNTRY,
    )


def current_facts(organisation: Organisation) -> dict[str, Any]:
    return dict(organisation.facts or {})


def rows(organisation: Organisation) -> list[dict[str, Any]]:
    stated = current_facts(organisation)
    found = []
    for fact, derivation in derive(organisation).items():
        profile_value = stated.get(fact.value)
        found.append(
            {
                "fact": fact.value,
                "label": FACT_LABELS[fact],
                "source": FACT_SOURCES[fact],
                "value": derivation.value,
                "reasons": derivation.reasons[:50],
                "more": max(0, len(derivation.reasons) - 50),
                "basis": derivation.basis,
                "profile": profile_value,
                "differs": derivation.value is not None and profile_value != derivation.value,
            }
        )
    return found


def page_context(organisation: Organisation, view: Any) -> dict[str, Any]:
    from finres.web.orgs.roles import Action

    found = rows(organisation)
    applicable = [r for r in found if r["differs"]]
    can_apply = view.may(Action.MANAGE)
    return {
        "rows": found,
        "can_apply": can_apply and bool(applicable),
        "form": ApplyFactsForm(choices=[(r["fact"], r["label"]) for r in applicable]),
    }


def apply(organisation: Organisation, chosen: list[str]) -> dict[str, bool]:
    """Write the chosen derived facts to the profile (one audited save); returns what changed."""
    derived = {fact.value: d for fact, d in derive(organisation).items()}
    stated = current_facts(organisation)
    changed: dict[str, bool] = {}
    for fact in chosen:
        derivation = derived.get(fact)
        if derivation is None or derivation.value is None:
            continue
        if stated.get(fact) != derivation.value:
            stated[fact] = derivation.value
            changed[fact] = derivation.value
    if changed:
        organisation.facts = stated
        organisation.full_clean()
        organisation.save()
    return changed


def apply_from_request(request: HttpRequest, organisation: Organisation, view: Any) -> HttpResponse:
    found = rows(organisation)
    form = ApplyFactsForm(
        request.POST, choices=[(r["fact"], r["label"]) for r in found if r["differs"]]
    )
    if not form.is_valid():
        messages.error(request, _("Choose at least one fact that differs from the profile."))
        return redirect("registers:facts")
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        changed = apply(locked, form.cleaned_data["facts"])
    messages.success(
        request,
        _("Applied to the profile: %(facts)s.")
        % {"facts": ", ".join(str(FACT_LABELS[core.RegisterFact(f)]) for f in changed) or "—"},
    )
    return redirect("registers:facts")
