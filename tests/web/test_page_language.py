"""Pages in one language: no English left on zh-TW pages, no Chinese on English ones, and
English counts with their plural."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finres.web.improvements.models import Finding
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def text(page: str) -> str:
    page = re.sub(r"<(script|style|svg|select).*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def section(page: str, heading: str) -> str:
    for part in page.split("<section")[1:]:
        if heading in part.split("</h2>")[0]:
            return text(part.split("</section>")[0])
    raise AssertionError(heading)


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def test_the_tier_band_is_worded_in_the_pages_language(ciso_client: Client) -> None:
    url = reverse("assessments:onboarding")
    tier = section(ciso_client.get(url).content.decode(), "分級")
    assert "第 2 級" in tier and "第二級(6) 未達200億100億以上" in tier
    tier = section(english(ciso_client).get(url).content.decode(), "Tier")
    assert "Tier 2" in tier
    assert "paid-in capital from NT$10,000,000,000 up to (not including) NT$20,000,000,000" in tier
    assert not CJK.search(tier), tier


def test_the_new_assessment_form_labels_the_framework_in_chinese(ciso_client: Client) -> None:
    page = ciso_client.get(reverse("assessments:create")).content.decode()
    label = re.search(r'<label for="id_framework">([^<]*)</label>', page)
    assert label is not None and label.group(1) == "框架："


def test_english_counts_take_their_plural(client_for: Any, org: Organisation) -> None:
    today = timezone.localdate()
    Finding.objects.create(
        organisation=org,
        title="Late",
        severity=Finding.Severity.HIGH,
        due_date=today - dt.timedelta(days=1),
    )
    for role in (Role.AUDITOR, Role.BOARD):
        page = text(
            english(client_for(role, org)).get(reverse("reports:dashboard")).content.decode()
        )
        assert "1 finding" in page and "1 findings" not in page, page
        assert "1 milestones" not in page
    page = english(client_for(Role.CISO, org)).get(reverse("assessments:onboarding"))
    shown = text(page.content.decode())
    n = len(page.context["result"].requirements)
    assert f"{n} requirements apply on" in shown


def test_a_results_history_shows_labels_not_codes(client_for: Any, org: Organisation) -> None:
    from finres.web.assessments.models import Result

    from .test_reports import ISO, assess

    assessment = assess(org, ISO, timezone.localdate().year, None, 1, results=["not_assessed"])
    row = assessment.results.get()
    row.result = Result.COMPLIANT
    row.save()
    page = client_for(Role.AUDITOR, org).get(reverse("assessments:result", args=[row.pk]))
    history = section(page.content.decode(), "異動紀錄")
    assert "評估結果" in history and "未評估 → 符合" in history, history
    for code in ("not_assessed", "compliant", "update", "result :"):
        assert code not in history, history


def test_a_typed_date_says_what_is_wrong_with_it(ciso_client: Client) -> None:
    url = reverse("assessments:onboarding") + "?as_of=2026-13-45"
    page = text(ciso_client.get(url).content.decode())
    assert "2026-13-45 不是有效的日期：沒有 13 月；改以今日為基準日。" in page
    page = text(english(ciso_client).get(url).content.decode())
    assert "2026-13-45 is not a valid date: there is no month 13; today is used instead." in page


def test_a_proposals_history_names_its_fields_in_chinese(
    client_for: Any, org: Organisation
) -> None:
    from finres.web.assessments.models import ProposalState, Result

    from .test_reports import ISO, assess

    assessment = assess(org, ISO, timezone.localdate().year, None, 1, results=["not_assessed"])
    row = assessment.results.get()
    row.proposed_result = Result.PARTIAL
    row.proposal_state = ProposalState.PENDING
    row.save()
    page = client_for(Role.AUDITOR, org).get(reverse("assessments:result", args=[row.pk]))
    history = section(page.content.decode(), "異動紀錄")
    assert "建議結果： — → 部分符合" in history and "建議狀態：" in history, history
    assert "proposed result" not in history and "proposal state" not in history
