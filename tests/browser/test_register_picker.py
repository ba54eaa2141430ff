"""A register too large to offer whole: the person types in the search box beside the select
and chooses an entry the page did not send."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from finres.web.choices import OFFERED
from finres.web.registers.models import InformationSystem
from tests.browser.support import DemoSite, t

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_entry_not_offered_is_found_by_typing(
    page_as: Callable[[str, str, int], Page], demo_site: DemoSite
) -> None:
    firm = demo_site.organisation("securities")
    InformationSystem.objects.bulk_create(
        InformationSystem(organisation=firm, code=f"ZZ-{i:04d}", name=f"分行系統 {i}")
        for i in range(OFFERED + 50)
    )
    page = page_as("demo-admin", "zh-hant", 1366)
    page.goto("/crypto/assets/new/")
    select = page.locator("select[name=system]")
    wanted = "ZZ-0142 分行系統 142"  # sorts after the entries the page offers
    assert wanted not in select.inner_text()
    search = page.get_by_label(t("Find an entry"))
    expect(search).to_have_attribute("placeholder", t("Type a code or name to find more entries"))
    search.fill("zz-0142")
    search.press("Enter")  # searches; the half-filled form is not sent (the page stays)
    expect(select.locator("option", has_text=wanted)).to_have_count(1)
    expect(search).to_have_value("zz-0142")
    select.select_option(label=wanted)
    expect(select).to_have_value(
        str(InformationSystem.objects.get(organisation=firm, code="ZZ-0142").pk)
    )
