"""What the browser tests share: the demo site, the zh-TW wording and logging in."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from django.utils import translation
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from finres.web.orgs.demo import DEMO_PASSWORD
from finres.web.setup import DemoContext

DASHBOARD_URL = re.compile(r"^https?://[^/]+/$")
AFTER_PASSWORD_URL = re.compile(r"^https?://[^/]+/(accounts/second-factor/)?$")


@dataclass
class DemoSite:
    """The live server's address and the demo loaded into its database."""

    url: str
    demo: DemoContext

    def organisation(self, key: str) -> Any:
        return self.demo.organisations[key]


def t(message: str) -> str:
    """A message as the zh-TW user sees it (selectors follow the catalogues)."""
    with translation.override("zh-hant"):
        return str(translation.gettext(message))


def current_code(otp_uri: str) -> str:
    """The TOTP code now for the key in an ``otpauth://`` URI."""
    secret = parse_qs(urlparse(otp_uri).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, step=30, digits=6):06d}"


def log_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> bool:
    """Log in through the form; a role that needs a second factor enrols a TOTP device on its
    first log-in (returns whether it did). Ends on the dashboard."""
    page.goto("/accounts/login/")
    page.get_by_label(t("User name")).fill(username)
    page.get_by_label(t("Password")).fill(password)
    page.get_by_role("button", name=t("Log in")).click()
    page.wait_for_url(AFTER_PASSWORD_URL)
    enrolled = "/accounts/second-factor/" in page.url
    if enrolled and page.locator("[data-otp-uri]").count() == 0:
        # An administrator gives the person a one-time enrolment code first.
        from django.contrib.auth import get_user_model

        from finres.web.orgs.credentials import issue_enrolment_code

        user = get_user_model().objects.get(username=username)
        page.get_by_label(t("Enrolment code from your administrator")).fill(
            issue_enrolment_code(user, "demo-admin")
        )
        page.get_by_role("button", name=t("Confirm")).click()
    if enrolled:
        uri = page.locator("[data-otp-uri]").text_content() or ""
        assert uri.startswith("otpauth://totp/"), uri
        expect(page.locator(".qr svg")).to_be_visible()
        page.get_by_label(t("Six-digit code")).fill(current_code(uri))
        page.get_by_role("button", name=t("Confirm")).click()
    expect(page).to_have_url(DASHBOARD_URL)
    return enrolled
