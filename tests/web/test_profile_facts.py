"""The profile's facts in the web application: form (unknown / yes / no), API, onboarding,
dashboard; the web and the CLI agree on statuses and what conditional requirements depend on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.urls import reverse

from finres.core.applicability import applicability_data, applicable
from finres.core.library import load_library
from finres.core.vocab import Fact
from finres.web.orgs.models import Organisation

AS_OF = "2026-06-30"


def profile_post(org: Organisation, **facts: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": org.name,
        "industry": "securities",
        "paid_in_capital": "15000000000",
        "internet_order": "on",
        "uses": ["cloud"],
        "total_assets": "",
    }
    data.update({f"fact_{name}": value for name, value in facts.items()})
    return data


def test_profile_form_keeps_unknown_apart_from_no(ciso_client: Client, org: Organisation) -> None:
    page = ciso_client.get(reverse("orgs:profile")).content.decode()
    assert 'name="fact_soc"' in page and "設有資安監控中心（SOC）" in page
    assert "未知" in page
    response = ciso_client.post(
        reverse("orgs:profile"),
        profile_post(org, soc="yes", hybrid_cloud="no", foreign_group_entity=""),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    org.refresh_from_db()
    assert org.facts == {"soc": True, "hybrid_cloud": False}
    assert org.total_assets is None
    profile = org.profile()
    assert profile.fact(Fact.SOC) is True and profile.fact(Fact.HYBRID_CLOUD) is False
    assert profile.fact(Fact.FOREIGN_GROUP_ENTITY) is None
    # the form shows what was stated, and unknown where nothing was
    page = ciso_client.get(reverse("orgs:profile")).content.decode()
    assert 'name="fact_soc" value="yes" id="id_fact_soc_1" checked>' in page
    assert 'name="fact_hybrid_cloud" value="no" id="id_fact_hybrid_cloud_2" checked>' in page
    assert 'name="fact_remote_insurance" value="" id="id_fact_remote_insurance_0" checked>' in page
    response = ciso_client.post(
        reverse("orgs:profile"), {**profile_post(org, soc=""), "total_assets": "1000000000000"}
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.facts == {} and org.total_assets == 10**12
    response = ciso_client.post(reverse("orgs:profile"), profile_post(org, soc="maybe"))
    assert response.status_code == 200  # refused, re-shown with the error
    org.refresh_from_db()
    assert org.facts == {}


def test_api_reads_and_writes_facts(ciso_client: Client, org: Organisation) -> None:
    url = "/api/organisation/current/"
    data = ciso_client.get(url).json()
    assert data["facts"] == {} and data["total_assets"] is None
    response = ciso_client.patch(
        url,
        {"facts": {"soc": True, "hybrid_cloud": None}, "total_assets": 5},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["facts"] == {"soc": True}
    assert response.json()["total_assets"] == 5
    for bad in ({"facts": {"socc": True}}, {"facts": {"soc": "yes"}}, {"facts": ["soc"]}):
        response = ciso_client.patch(url, bad, content_type="application/json")
        assert response.status_code == 400, bad
        assert "facts" in response.json(), response.json()
    response = ciso_client.patch(url, {"total_assets": -1}, content_type="application/json")
    assert response.status_code == 400
    org.refresh_from_db()
    assert org.facts == {"soc": True} and org.total_assets == 5


def test_api_applicable_is_the_cli_contract_with_statuses(
    ciso_client: Client, org: Organisation
) -> None:
    response = ciso_client.get(f"/api/organisation/applicable/?as_of={AS_OF}&lang=en")
    assert response.status_code == 200
    data = response.json()
    expected = applicability_data(
        applicable(load_library(), org.profile(), dt.date.fromisoformat(AS_OF)), "en"
    )
    assert data == expected
    statuses = {row["status"] for row in data["requirements"]}
    assert statuses <= {"in_force", "upcoming", "overdue", "conditional"}
    assert "conditional" in statuses  # nothing is stated: some requirement depends on a fact
    for row in data["requirements"]:
        assert (row["status"] == "conditional") == bool(row["depends_on"])
        assert row["in_force"] == (row["effective_from"] is None or row["effective_from"] <= AS_OF)
        if row["status"] == "overdue":
            assert row["due_by"] < AS_OF
    org.facts = {fact.value: False for fact in Fact}
    org.total_assets = 10**9
    org.save()
    data = ciso_client.get(f"/api/organisation/applicable/?as_of={AS_OF}").json()
    assert all(row["status"] != "conditional" for row in data["requirements"])


def test_onboarding_shows_facts_statuses_and_what_conditional_items_depend_on(
    ciso_client: Client, org: Organisation
) -> None:
    org.facts = {"soc": True, "hybrid_cloud": False}
    org.save()
    page = ciso_client.get(reverse("assessments:onboarding") + f"?as_of={AS_OF}")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-fact="soc"><span class="badge ok">是' in html
    assert 'data-fact="hybrid_cloud"><span class="badge">否' in html
    assert 'data-fact="foreign_group_entity"><span class="badge warn">未知' in html
    assert 'id="conditional-notice"' in html and "提供網際網路服務之核心系統" in html
    assert 'data-status="conditional"' in html and "取決於" in html
    assert 'data-status="overdue"' in html and "已逾期限" in html
    # no raw codes on the zh-TW page
    for raw in ("internet_facing_core_systems<", ">conditional<", ">overdue<"):
        assert raw not in html, raw
    org.facts = {fact.value: True for fact in Fact}
    org.total_assets = 2 * 10**12
    org.save()
    html = ciso_client.get(reverse("assessments:onboarding") + f"?as_of={AS_OF}").content.decode()
    assert 'data-status="conditional"' not in html and 'id="conditional-notice"' not in html


def test_dashboard_shows_overdue_requirements(ciso_client: Client, org: Organisation) -> None:
    response = ciso_client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    overdue = response.context["overdue_requirements"]
    count = response.context["overdue_requirements_count"]
    # TWSE items for a tier-2 firm had deadlines in 2022 and 2023: past today
    assert overdue and count >= len(overdue)
    assert all(item.due_by < dt.date.today() for item in overdue)
    html = response.content.decode()
    assert 'id="kpi-overdue-requirements"' in html and overdue[0].title[:20] in html
    assert response.context["conditional_count"] > 0
    assert 'id="conditional-count"' in html


def test_organisation_add_takes_the_facts_from_the_profile_file(db: Any) -> None:
    from finres.core.profile import profile_from_data
    from finres.web.setup import add_organisation

    profile = profile_from_data(
        {
            "name": "事實證券",
            "industry": "securities",
            "paid_in_capital": 10**10,
            "facts": {"soc": True, "remote_insurance": False},
            "total_assets": 7,
        }
    )
    organisation, created = add_organisation(profile, None, False)
    assert created
    organisation.refresh_from_db()
    assert organisation.facts == {"remote_insurance": False, "soc": True}
    assert organisation.total_assets == 7
    assert organisation.profile() == profile
