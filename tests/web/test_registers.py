"""Registers: models, pages, roles, the audit trail, derived facts and the demo register."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from finres.core.registers import review_due
from finres.web.audit.models import AuditEvent
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role
from finres.web.registers import facts
from finres.web.registers.models import InformationSystem, Site, Supplier, SupplierReview

pytestmark = pytest.mark.django_db


def make_system(organisation: Organisation, code: str = "SYS-1", **fields: Any) -> Any:
    values: dict[str, Any] = {"organisation": organisation, "code": code, "name": f"System {code}"}
    values.update(fields)
    return InformationSystem.objects.create(**values)


def make_supplier(organisation: Organisation, code: str = "SUP-1", **fields: Any) -> Supplier:
    values: dict[str, Any] = {"organisation": organisation, "code": code, "name": f"Vendor {code}"}
    values.update(fields)
    return Supplier.objects.create(**values)


# --- models -------------------------------------------------------------------------------------


def test_a_suppliers_tier_is_computed_and_stored_on_every_save(org: Organisation) -> None:
    supplier = make_supplier(org, industry="hardware_vendor")
    assert (supplier.tier, supplier.tier_rule) == ("general", "")
    supplier.system_access = "core_systems"
    supplier.save(update_fields=["system_access"])
    supplier.refresh_from_db()
    assert (supplier.tier, supplier.tier_rule) == ("critical", "core-systems")
    assert Supplier.objects.filter(organisation=org, tier="critical").count() == 1


def test_model_rules(org: Organisation) -> None:
    from django.core.exceptions import ValidationError

    system = InformationSystem(organisation=org, code="X 1", name="Cloud", hosting="cloud")
    with pytest.raises(ValidationError) as caught:
        system.full_clean()
    assert {"code", "cloud_provider"} <= set(caught.value.message_dict)
    supplier = Supplier(organisation=org, code="S", name="S", contract_clauses=["sla", "sbom"])
    supplier.contract_start, supplier.contract_end = dt.date(2026, 2, 1), dt.date(2026, 1, 1)
    with pytest.raises(ValidationError) as caught:
        supplier.full_clean()
    assert "sla" in str(caught.value.message_dict["contract_clauses"])
    assert "contract_end" in caught.value.message_dict


def test_changes_and_link_changes_are_audited(org: Organisation) -> None:
    site = Site.objects.create(organisation=org, code="DC1", name="Primary")
    system = make_system(org)
    system.sites.set([site])
    system.name = "Renamed"
    system.save()
    events = list(
        AuditEvent.objects.filter(model="registers.informationsystem", object_id=str(system.pk))
    )
    assert [e.action for e in events] == ["create", "update", "update"]
    assert events[1].changes == {"sites": [[], [site.pk]]}
    assert events[2].changes["name"] == ["System SYS-1", "Renamed"]
    assert all(e.organisation_id == org.pk for e in events)


def test_review_due(org: Organisation) -> None:
    today = timezone.localdate()
    make_system(org, "OLD", reviewed_on=today - dt.timedelta(days=400))
    make_system(org, "NEW", reviewed_on=today - dt.timedelta(days=10))
    make_system(org, "NEVER")
    due = InformationSystem.objects.filter(organisation=org).review_due(today)
    assert sorted(due.values_list("code", flat=True)) == ["NEVER", "OLD"]


def test_suppliers_due_a_review_as_their_tier_decides(org: Organisation) -> None:
    today = timezone.localdate()
    for access, tier in (("core_systems", "critical"), ("none", "general")):
        for days in (None, 10, 400, 800):
            code = f"{tier}-{days}"
            supplier = make_supplier(org, code, industry="hardware_vendor", system_access=access)
            assert supplier.tier == tier
            if days is not None:
                supplier.reviews.create(
                    organisation=org,
                    kind="periodic",
                    performed_on=today - dt.timedelta(days=days),
                    outcome="satisfactory",
                )
    found = Supplier.objects.filter(organisation=org)
    due = sorted(found.review_due(today).values_list("code", flat=True))
    # the same answer, supplier by supplier, from the core's rule
    expected = sorted(
        s.code
        for s in found.with_last_review()
        if (when := review_due(s.current_tier(), s.last_review)) is None or when <= today
    )
    assert due == expected
    assert due == ["critical-400", "critical-800", "critical-None", "general-800", "general-None"]
    assert sorted(found.with_last_review().review_due(today).values_list("code", flat=True)) == due


# --- pages and roles ----------------------------------------------------------------------------


def test_the_system_page_lists_the_requirements_it_concerns(
    ciso_client: Client, org: Organisation
) -> None:
    etrade = make_system(org, "ETRADE", classification="core", internet_facing=True)
    backoffice = make_system(org, "BACK", classification="core")
    desk = make_system(org, "DESK")
    page = ciso_client.get(f"/registers/systems/{etrade.pk}/").content.decode()
    assert "CC-17010" in page and "CC-20000" in page and "CC-12000" in page
    page = ciso_client.get(f"/registers/systems/{backoffice.pk}/").content.decode()
    assert "CC-20000" in page and "CC-17010" not in page
    page = ciso_client.get(f"/registers/systems/{desk.pk}/").content.decode()
    assert "data-requirement" not in page


def test_a_bank_has_no_twse_requirements_on_its_systems(client_for: Any, other_org: Any) -> None:
    system = make_system(other_org, classification="core", internet_facing=True)
    client = client_for(Role.CISO, other_org)
    page = client.get(f"/registers/systems/{system.pk}/").content.decode()
    assert "CC-17010" not in page


def test_create_edit_and_delete_through_the_pages(ciso_client: Client, org: Organisation) -> None:
    site = Site.objects.create(organisation=org, code="DC1", name="Primary")
    response = ciso_client.post(
        "/registers/systems/new/",
        {
            "code": "TRADE",
            "name": "Trading",
            "classification": "core",
            "confidentiality": "high",
            "integrity": "high",
            "availability": "high",
            "legal_compliance": "medium",
            "data_sensitivity": "customer",
            "hosting": "on_premises",
            "data_location": "TW",
            "sites": [site.pk],
            "tags": "trading, core",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    system = InformationSystem.objects.get(organisation=org, code="TRADE")
    assert system.tags == ["trading", "core"] and list(system.sites.all()) == [site]
    duplicate = ciso_client.post(
        "/registers/systems/new/",
        {
            "code": "TRADE",
            "name": "Again",
            "classification": "core",
            "confidentiality": "high",
            "integrity": "high",
            "availability": "high",
            "legal_compliance": "high",
            "data_sensitivity": "public",
            "hosting": "on_premises",
            "data_location": "TW",
        },
    )
    assert duplicate.status_code == 200 and "已有其他項目使用此代碼" in duplicate.content.decode()
    response = ciso_client.post(f"/registers/systems/{system.pk}/delete/")
    assert response.status_code == 302
    assert not InformationSystem.objects.filter(pk=system.pk).exists()


def test_roles(client_for: Any, org: Organisation) -> None:
    system = make_system(org)
    supplier = make_supplier(org)
    owner = client_for(Role.CONTROL_OWNER, org)
    auditor = client_for(Role.AUDITOR, org)
    board = client_for(Role.BOARD, org)
    assert auditor.get("/registers/systems/").status_code == 200
    assert auditor.get(f"/registers/systems/{system.pk}/edit/").status_code == 403
    assert board.get("/registers/systems/").status_code == 403
    assert board.get("/api/systems/").status_code == 403
    assert owner.get(f"/registers/systems/{system.pk}/edit/").status_code == 200
    assert owner.post(f"/registers/systems/{system.pk}/delete/").status_code == 403
    assert owner.get("/registers/systems/import/").status_code == 403
    review = {"kind": "periodic", "performed_on": "2026-01-05", "outcome": "satisfactory"}
    assert auditor.post(f"/registers/suppliers/{supplier.pk}/reviews/", review).status_code == 403
    assert owner.post(f"/registers/suppliers/{supplier.pk}/reviews/", review).status_code == 302
    assert SupplierReview.objects.get().organisation == org


def test_another_organisations_entries_are_not_found(
    ciso_client: Client, other_org: Organisation
) -> None:
    system = make_system(other_org, name="Secret ledger")
    supplier = make_supplier(other_org)
    for url in (
        f"/registers/systems/{system.pk}/",
        f"/registers/systems/{system.pk}/edit/",
        f"/registers/suppliers/{supplier.pk}/",
        f"/api/systems/{system.pk}/",
        f"/api/systems/{system.pk}/requirements/",
    ):
        assert ciso_client.get(url).status_code == 404, url
    assert "Secret ledger" not in ciso_client.get("/registers/systems/").content.decode()


def test_a_bad_filter_is_a_message_not_a_500(ciso_client: Client, org: Organisation) -> None:
    make_system(org)
    response = ciso_client.get("/registers/systems/?classification=nonsense&site=x")
    assert response.status_code == 200
    assert "System SYS-1" in response.content.decode()
    response = ciso_client.get("/registers/suppliers/?tier=nonsense&offshore=maybe")
    assert response.status_code == 200


def test_supplier_page_shows_tier_reason_clauses_and_gaps(
    ciso_client: Client, org: Organisation
) -> None:
    supplier = make_supplier(
        org, system_access="core_systems", cloud_services=True, contract_clauses=["sbom"]
    )
    page = ciso_client.get(f"/registers/suppliers/{supplier.pk}/").content.decode()
    assert 'data-tier="critical"' in page
    assert 'data-clause="data_location"' in page  # a cloud clause, required and missing
    assert page.count("data-gap") == 4  # exit plan, DR, never reviewed, clauses


def test_english_pages(ciso_client: Client, org: Organisation) -> None:
    make_supplier(org, system_access="core_systems")
    ciso_client.post("/i18n/setlang/", {"language": "en"})
    page = ciso_client.get("/registers/suppliers/").content.decode()
    assert "Critical supplier" in page and "Suppliers" in page
    ciso_client.post("/i18n/setlang/", {"language": "zh-hant"})
    page = ciso_client.get("/registers/suppliers/").content.decode()
    assert "關鍵供應商" in page and "資訊系統" in page and "清冊" in page


# --- facts --------------------------------------------------------------------------------------


def test_facts_page_names_the_reasons(ciso_client: Client, org: Organisation) -> None:
    make_system(org, "ETRADE", name="E-trading", classification="core", internet_facing=True)
    derived = facts.derive(org)
    assert derived[facts.core.RegisterFact.INTERNET_FACING_CORE_SYSTEMS].value is True
    assert derived[facts.core.RegisterFact.HYBRID_CLOUD].value is False
    page = ciso_client.get("/registers/facts/").content.decode()
    assert "ETRADE E-trading" in page


def test_cached_facts_follow_every_change_of_the_registers(
    org: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The facts are kept under the registers' version: after each kind of change they equal a
    derivation from the entries as they are now, and without a change they are not derived
    again."""
    abroad = Site.objects.create(organisation=org, code="SG", name="Singapore", country="SG")

    def fresh() -> Any:
        return facts.core.derive_facts(*facts.entries(org))

    def system() -> InformationSystem:
        return InformationSystem.objects.get(organisation=org, code="A")

    def edit(obj: Any, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(obj, name, value)
        obj.save()

    changes = [
        lambda: make_system(org, "A", classification="core", internet_facing=True),
        lambda: make_system(org, "B", data_sensitivity="customer"),
        lambda: system().sites.add(abroad),
        lambda: edit(abroad, country="TW"),
        lambda: edit(abroad, country="JP"),
        lambda: system().sites.remove(abroad),
        lambda: edit(system(), internet_facing=False),
        lambda: edit(system(), data_location="US"),
        lambda: make_supplier(org, "S", processing_location="SG", data_sensitivity="customer"),
        lambda: edit(Supplier.objects.get(code="S"), processing_location="TW"),
        lambda: Supplier.objects.get(code="S").delete(),
        lambda: system().delete(),
        lambda: make_system(org, "C", classification="core", internet_facing=True),
        lambda: abroad.delete(),
    ]
    changed = 0
    for change in changes:
        before = facts.derive(org)
        change()
        after = facts.derive(org)
        assert after == fresh()
        changed += before != after
    assert changed >= 10  # most changes changed the facts, and the cache followed each
    derived: list[int] = []
    entries = facts.entries
    monkeypatch.setattr(facts, "entries", lambda o: derived.append(1) or entries(o))
    assert facts.derive(org) == after and derived == []  # unchanged: read from the cache


def test_applying_facts_to_the_profile_is_audited(ciso_client: Client, org: Organisation) -> None:
    make_system(org, "ETRADE", classification="core", internet_facing=True)
    response = ciso_client.post("/registers/facts/", {"facts": ["internet_facing_core_systems"]})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.facts["internet_facing_core_systems"] is True
    event = AuditEvent.objects.filter(model="orgs.organisation", object_id=str(org.pk)).last()
    assert event is not None and "facts" in event.changes
    page = ciso_client.get("/registers/facts/").content.decode()
    row = page.split('data-fact="internet_facing_core_systems"')[1].split("</tr>")[0]
    assert "不一致" not in row
    response = ciso_client.post("/registers/facts/", {"facts": ["internet_facing_core_systems"]})
    assert response.status_code == 302  # nothing differs any more: a message, no change


def test_only_a_manager_applies_facts(client_for: Any, org: Organisation) -> None:
    make_system(org, "ETRADE", classification="core", internet_facing=True)
    owner = client_for(Role.CONTROL_OWNER, org)
    page = owner.get("/registers/facts/").content.decode()
    assert "不一致" in page and 'name="facts"' not in page
    response = owner.post("/registers/facts/", {"facts": ["internet_facing_core_systems"]})
    assert response.status_code == 403
    org.refresh_from_db()
    assert org.facts == {}


def test_the_demo_register(db: Any) -> None:
    from finres.web.setup import load_demo

    context = load_demo()
    securities = context.organisations["securities"]
    tiers = set(Supplier.objects.filter(organisation=securities).values_list("tier", flat=True))
    assert tiers == {"critical", "important", "general"}
    systems = InformationSystem.objects.filter(organisation=securities)
    assert systems.filter(classification="core", internet_facing=True).count() >= 2
    assert systems.filter(hosting__in=["cloud", "hybrid"]).exists()
    derived = facts.derive(securities)
    assert all(d.value is True for d in derived.values())
    load_demo()  # loading twice adds nothing
    assert InformationSystem.objects.filter(organisation=securities).count() == systems.count()


def test_a_broken_tiering_file_stops_the_application(settings: Any, tmp_path: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from finres.web.registers.apps import check_tiering

    path = tmp_path / "tiers.yaml"
    path.write_text("version: 1\ntiers: []\ndefault_tier: x\n", encoding="utf-8")
    settings.FINRES_SUPPLIER_TIERING = str(path)
    with pytest.raises(ImproperlyConfigured, match="tiers"):
        check_tiering()
    settings.FINRES_SUPPLIER_TIERING = ""
    check_tiering()


def test_an_institutions_own_tiering_file(
    settings: Any, tmp_path: Any, org: Organisation, monkeypatch: Any
) -> None:
    import yaml

    from finres.core.registers import TIERING_FILE

    data = yaml.safe_load(TIERING_FILE.read_text(encoding="utf-8"))
    data["rules"] = [r for r in data["rules"] if r["id"] != "core-systems"]
    path = tmp_path / "ours.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    del settings.FINRES_SUPPLIER_TIERING
    monkeypatch.setenv("FINRES_SUPPLIER_TIERING", str(path))
    supplier = make_supplier(org, system_access="core_systems", industry="other")
    assert supplier.tier == "general"


def test_a_stored_tier_the_rules_no_longer_have(ciso_client: Client, org: Organisation) -> None:
    supplier = make_supplier(org, system_access="core_systems")
    Supplier.objects.filter(pk=supplier.pk).update(tier="platinum")
    assert ciso_client.get(f"/registers/suppliers/{supplier.pk}/").status_code == 200
    assert ciso_client.get("/registers/suppliers/").status_code == 200
    assert ciso_client.get(f"/api/suppliers/{supplier.pk}/").status_code == 200
