"""The layout as a person sees it: the English navigation on one line on a 1366-pixel laptop,
no page wider than a 375-pixel phone, and the site's icon."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from finres.web.assessments.models import Assessment, RequirementResult
from finres.web.improvements.models import Finding
from finres.web.reports.models import BoardReport
from tests.browser.support import DemoSite

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


NAV_TOPS = "[...document.querySelectorAll('.mainnav a')].map(a => a.getBoundingClientRect().top)"


@pytest.mark.parametrize("username", ["demo-admin", "demo-group-ciso"])
def test_the_english_navigation_is_one_line_at_1366_pixels(
    page_as: Callable[[str, str, int], Page], username: str
) -> None:
    page = page_as(username, "en", 1366)
    page.goto("/")
    tops = page.evaluate(NAV_TOPS)
    assert len(tops) >= 8, tops
    assert max(tops) - min(tops) < 4, tops
    assert page.locator(".mainnav").get_by_role("link", name="Improvement plans").is_visible()


def test_no_page_is_wider_than_a_phone(
    page_as: Callable[[str, str, int], Page], demo_site: DemoSite
) -> None:
    firm = demo_site.organisation("securities")
    assessment = Assessment.objects.filter(organisation=firm).first()
    result = RequirementResult.objects.filter(organisation=firm).first()
    finding = Finding.objects.filter(organisation=firm).first()
    report = BoardReport.objects.filter(organisation=firm).first()
    assert assessment and result and finding and report
    paths = [
        reverse("reports:dashboard"),
        reverse("assessments:list"),
        reverse("assessments:detail", args=[assessment.pk]),
        reverse("assessments:result", args=[result.pk]),
        reverse("assessments:onboarding"),
        reverse("evidence:list"),
        reverse("evidence:expiring"),
        reverse("improvements:finding_list"),
        reverse("improvements:finding_detail", args=[finding.pk]),
        reverse("improvements:exception_list"),
        reverse("frameworks:list"),
        reverse("frameworks:detail", args=["fsc-resilience-blueprint-2025"]),
        reverse("reports:index"),
        reverse("reports:board_detail", args=[report.pk]),
        reverse("audit:list"),
    ]
    for language in ("zh-hant", "en"):
        page = page_as("demo-admin", language, 375)
        for path in paths:
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (language, path, width)


def test_the_site_has_an_icon(page_as: Callable[[str, str, int], Page]) -> None:
    page = page_as("demo-owner", "zh-hant", 1366)
    page.goto("/")
    href = page.get_attribute("link[rel=icon]", "href")
    assert href and href.endswith(".svg")
    response = page.request.get(href)
    assert response.ok and "svg" in response.headers["content-type"]
