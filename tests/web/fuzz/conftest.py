"""Fixtures of the API fuzzing: the demo institution and one caller with an API token.

The token is obtained in ``api_token`` and nowhere else, so that a change in how API tokens are
issued (names, expiry, scopes) is made here once.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from finres.web.orgs.credentials import issue_token
from finres.web.orgs.models import ApiToken, Membership, Organisation
from finres.web.orgs.roles import Role
from finres.web.setup import load_demo


@pytest.fixture
def demo_organisation(db: Any) -> Organisation:
    """The demo's securities firm: assessments, results, evidence, plans and reports."""
    context = load_demo()
    organisation: Organisation = context.organisations["securities"]
    return organisation


@pytest.fixture
def api_token(demo_organisation: Organisation) -> str:
    """A read-write token of an administrator of the demo securities firm, who has a confirmed
    TOTP device and created the token after the second factor."""
    user = get_user_model().objects.create_user(username="fuzz-admin", password=None)
    Membership.objects.create(user=user, organisation=demo_organisation, role=Role.ADMINISTRATOR)
    TOTPDevice.objects.create(user=user, name="fuzz", confirmed=True)
    _token, key = issue_token(
        user,
        "fuzzing",
        ApiToken.Scope.WRITE,
        days=1,
        organisation=demo_organisation,
        second_factor=True,
    )
    return key
