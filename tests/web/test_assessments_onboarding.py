"""The onboarding wizard: applicable set, snapshots and their differences, creating assessments
and bringing them in line when the profile or the date changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from finres.web.assessments import onboarding
from finres.web.assessments.models import (
    ApplicabilitySnapshot,
    Assessment,
    RequirementResult,
    Result,
)
from finres.web.audit.models import AuditEvent
from finres.web.frameworks.models import Framework
from finres.web.orgs.roles import Role

from .test_assessments import BLUEPRINT, ISO, TWSE, make_assessment, row_of

pytestmark = pytest.mark.django_db

TIER_1_AND_2_ONLY = "cc-17010-threat-detection"  # tiers [1, 2]
TIER_1_ONLY = "cc-17010-apt-defence"  # tier [1]
EVERY_TIER = "cc-17010-antivirus"


def onboarding_page(client, as_of: str = "2026-06-30"):
    response = client.get(reverse("assessments:onboarding"), {"as_of": as_of})
    assert response.status_code == 200
    return response


def keys(items) -> set[str]:
    return {onboarding.key(item.framework.id, item.node.id) for item in items}


def test_the_wizard_shows_profile_tier_and_applicable_requirements(ciso_client, org) -> None:
    page = onboarding_page(ciso_client)
    context = page.context
    assert context["result"].tier.tier == 2  # NT$15 billion
    assert "15,000,000,000" in page.content.decode()
    groups = {g.code: g for g in context["groups"]}
    assert {TWSE, BLUEPRINT, ISO} <= set(groups)
    assert groups[TWSE].binding and not groups[ISO].binding
    twse = {item.node.id for item in groups[TWSE].items}
    assert TIER_1_AND_2_ONLY in twse and TIER_1_ONLY not in twse
    assert groups[ISO].in_force_count == 93
    # In force or upcoming with their dates: on 2022-06-01 the 2023 items are upcoming.
    early = onboarding_page(ciso_client, "2022-06-01").context
    twse_early = next(g for g in early["groups"] if g.code == TWSE)
    health = next(i for i in twse_early.items if i.node.id == "cc-17010-health-check")
    assert not health.in_force and health.effective_from == dt.date(2023, 1, 1)
    assert reverse("orgs:profile") in page.content.decode()


def test_creating_assessments_creates_exactly_the_applicable_rows_audited_once(
    ciso_client, org
) -> None:
    before = AuditEvent.objects.count()
    response = ciso_client.post(
        reverse("assessments:onboarding_create"),
        {
            "frameworks": [TWSE, ISO],
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "as_of": "2026-06-30",
        },
    )
    assert response.status_code == 302
    applicable = onboarding.compute(org, dt.date(2026, 6, 30))
    for code in (TWSE, ISO):
        assessment = Assessment.objects.get(organisation=org, framework__code=code)
        rows = set(
            RequirementResult.objects.filter(assessment=assessment).values_list(
                "requirement__code", flat=True
            )
        )
        assert rows == {i.node.id for i in onboarding.applicable_in(applicable, code)}
    events = AuditEvent.objects.filter(sequence__gt=0).order_by("sequence")[before:]
    bulk = [e for e in events if e.model == "assessments.requirementresult"]
    assert len(bulk) == 2  # one summary per assessment, not one per row
    twse = Assessment.objects.get(organisation=org, framework__code=TWSE)
    twse_event = next(e for e in bulk if e.changes["assessment"] == twse.pk)
    assert len(twse_event.changes["results"]) == twse.results.count()
    # The applicable set used is recorded as the snapshot the next change is shown against.
    assert ApplicabilitySnapshot.objects.filter(organisation=org).count() == 1


def test_creating_fails_whole_when_one_framework_cannot_be_created(ciso_client, org) -> None:
    make_assessment(org, ISO)
    response = ciso_client.post(
        reverse("assessments:onboarding_create"),
        {
            "frameworks": [TWSE, ISO],  # ISO 2026 exists already
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "as_of": "2026-06-30",
        },
    )
    assert response.status_code == 200
    assert response.context["create_form"].non_field_errors()
    assert not Assessment.objects.filter(organisation=org, framework__code=TWSE).exists()
    assert Assessment.objects.filter(organisation=org).count() == 1


def test_bad_input_is_refused_with_a_message(ciso_client, org) -> None:
    response = ciso_client.post(
        reverse("assessments:onboarding_create"),
        {
            "frameworks": ["no-such-framework"],
            "period_start": "2026-12-31",
            "period_end": "2026-01-01",
            "as_of": "2026-06-30",
        },
    )
    form = response.context["create_form"]
    assert form.errors["frameworks"] and form.errors["period_end"]
    assert not Assessment.objects.filter(organisation=org).exists()
    page = ciso_client.get(reverse("assessments:onboarding"), {"as_of": "2026-13-45"})
    assert page.status_code == 200 and page.context["as_of"] == dt.date.today()


def test_lower_capital_removes_tiered_items_and_a_higher_one_adds_them(ciso_client, org) -> None:
    ciso_client.post(reverse("assessments:onboarding_snapshot"), {"as_of": "2026-06-30"})
    unchanged = onboarding_page(ciso_client).context["difference"]
    assert unchanged.previous is not None and not unchanged.changed
    # Tier 2 -> tier 4: the items for tiers 1-3 and 1-2 are no longer applicable.
    org.paid_in_capital = 3_000_000_000
    org.save()
    difference = onboarding_page(ciso_client).context["difference"]
    assert difference.tier_changed and (difference.previous_tier, difference.tier) == (2, 4)
    assert f"{TWSE}:{TIER_1_AND_2_ONLY}" in difference.removed
    assert f"{TWSE}:{EVERY_TIER}" not in difference.removed
    assert not difference.new
    # Tier 1 against the same snapshot: the tier-1 item is new, nothing is removed.
    org.paid_in_capital = 25_000_000_000
    org.save()
    page = onboarding_page(ciso_client)
    difference = page.context["difference"]
    assert difference.new == [f"{TWSE}:{TIER_1_ONLY}"] and not difference.removed
    assert "進階持續性威脅攻擊防禦措施" in page.content.decode()


def test_requirements_coming_into_force_are_shown(ciso_client, org) -> None:
    ciso_client.post(reverse("assessments:onboarding_snapshot"), {"as_of": "2022-06-01"})
    difference = onboarding_page(ciso_client, "2023-06-01").context["difference"]
    assert f"{TWSE}:cc-17010-health-check" in difference.now_in_force
    assert f"{TWSE}:cc-17010-antivirus" not in difference.now_in_force  # in force already
    assert not difference.new
    # The 2020 action plan ended on 2022-12-31: its measures no longer apply in 2023.
    assert difference.removed
    assert all(k.startswith("fsc-action-plan-2020:") for k in difference.removed)


def test_an_assessment_is_brought_in_line_without_deleting_results(ciso_client, org) -> None:
    assessment = make_assessment(org)
    threat = row_of(assessment, TIER_1_AND_2_ONLY)
    threat.result, threat.comments = Result.COMPLIANT, "SOC in place"
    threat.save()
    rows_before = assessment.results.count()
    org.paid_in_capital = 3_000_000_000  # tier 4
    org.save()
    alignment = next(
        a for a in onboarding_page(ciso_client).context["alignments"] if a.assessment == assessment
    )
    assert threat.pk in {pk for pk, _key in alignment.to_retire}
    response = ciso_client.post(
        reverse("assessments:align", args=[assessment.pk]), {"as_of": "2026-06-30"}
    )
    assert response.status_code == 302
    threat.refresh_from_db()
    assert threat.result == Result.NOT_APPLICABLE
    with translation.override("zh-hant"):  # the language of the request that aligned it
        expected = translation.gettext("no longer applicable per profile/library on %(date)s")
    assert threat.not_applicable_reason == expected % {"date": "2026-06-30"}
    assert threat.not_applicable_reason == "依 2026-06-30 之機構基本資料／規範庫判定，已不再適用"
    assert threat.comments == "SOC in place"
    assert assessment.results.count() == rows_before  # nothing deleted
    event = AuditEvent.objects.filter(model="assessments.requirementresult").last()
    assert event.changes["results"][str(threat.pk)]["result"] == ["compliant", "not_applicable"]
    # Tier 1: the tier-1 item is added; aligning again changes nothing more.
    org.paid_in_capital = 25_000_000_000
    org.save()
    ciso_client.post(reverse("assessments:align", args=[assessment.pk]), {"as_of": "2026-06-30"})
    assert row_of(assessment, TIER_1_ONLY).result == Result.NOT_ASSESSED
    assert assessment.results.count() == rows_before + 1
    assert not any(
        a.needed
        for a in onboarding.alignments([assessment], onboarding.compute(org, dt.date(2026, 6, 30)))
    )


def test_completed_assessments_are_not_aligned(ciso_client, org) -> None:
    assessment = make_assessment(org, status=Assessment.Status.COMPLETED)
    org.paid_in_capital = 3_000_000_000
    org.save()
    ciso_client.post(reverse("assessments:align", args=[assessment.pk]), {"as_of": "2026-06-30"})
    assert row_of(assessment, TIER_1_AND_2_ONLY).result == Result.NOT_ASSESSED


def test_only_managers_use_the_wizard(client_for, org, other_org) -> None:
    for role in (Role.CONTROL_OWNER, Role.AUDITOR, Role.BOARD):
        client = client_for(role, org)
        assert client.get(reverse("assessments:onboarding")).status_code == 403
        response = client.post(reverse("assessments:onboarding_snapshot"), {"as_of": "2026-06-30"})
        assert response.status_code == 403
    assert not ApplicabilitySnapshot.objects.exists()
    theirs = make_assessment(other_org, BLUEPRINT)
    admin = client_for(Role.ADMINISTRATOR, org)
    assert (
        admin.post(
            reverse("assessments:align", args=[theirs.pk]), {"as_of": "2026-06-30"}
        ).status_code
        == 404
    )


def test_a_library_change_is_shown_against_the_snapshot(
    ciso_client, org, tmp_path, monkeypatch
) -> None:
    """The library is data: a new edition that narrows a requirement's tiers shows up as a
    requirement no longer applicable, without any code change."""
    import shutil

    import yaml

    from finres.core.library import CONTENT_DIR, load_paths

    ciso_client.post(reverse("assessments:onboarding_snapshot"), {"as_of": "2026-06-30"})
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    path = content / "frameworks" / f"{TWSE}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for node in data["requirements"]:
        if node["id"] == EVERY_TIER:
            node["tiers"] = [1]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    edition = load_paths([content / "frameworks", content / "mappings"])
    monkeypatch.setattr(onboarding, "library", lambda: edition)
    difference = onboarding_page(ciso_client).context["difference"]
    assert difference.removed == [f"{TWSE}:{EVERY_TIER}"]
    assert not difference.new and not difference.tier_changed


def test_each_framework_shows_its_latest_assessments_and_how_many_more(
    ciso_client, org, other_org
) -> None:
    """The wizard reads each framework's latest assessments, not the institution's history."""
    for year in range(2019, 2026):  # seven completed years of the TWSE checklist
        make_assessment(org, TWSE, year, status=Assessment.Status.COMPLETED)
    Assessment.objects.create(  # another institution's: never counted
        organisation=other_org,
        framework=Framework.objects.get(code=TWSE),
        name="theirs",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    page = onboarding_page(ciso_client)
    twse = next(g for g in page.context["groups"] if g.code == TWSE)
    shown = [a.period_start.year for a in twse.assessments]
    assert shown == [2025, 2024, 2023, 2022, 2021]  # newest first, at most five
    assert (twse.assessment_count, twse.more_assessments) == (7, 2)
    assert not twse.assessed_in_year  # nothing for 2026 yet: proposed for creation
    assert TWSE in page.context["create_form"].initial["frameworks"]
    html = page.content.decode()
    assert f"{reverse('assessments:list')}?framework={TWSE}" in html and "2" in html
    make_assessment(org, TWSE, 2026)
    again = onboarding_page(ciso_client).context
    twse = next(g for g in again["groups"] if g.code == TWSE)
    assert twse.assessed_in_year and TWSE not in again["create_form"].initial["frameworks"]
    assert twse.assessments[0].period_start.year == 2026
