"""Single sign-on with an OpenID Connect provider (a real one on loopback: oidc_provider.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from finres.web.orgs.models import ExternalIdentity, Membership
from finres.web.orgs.roles import Role
from finres.web.orgs.sso import load_role_map, wanted_roles

from .conftest import PASSWORD
from .oidc_provider import Provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(settings: Any, org: Any, other_org: Any, monkeypatch: Any) -> Iterator[Provider]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with Provider() as op:
        for name, value in op.settings().items():
            setattr(settings, name, value)
        settings.FINRES_SSO = {
            "name": "行內 AD",
            "issuer": op.issuer,
            "role_map": {
                "sec-ciso": {org.name: Role.CISO},
                "sec-staff": {org.name: Role.CONTROL_OWNER, other_org.name: Role.AUDITOR},
            },
            "groups_claim": "groups",
            "mfa_methods": ["mfa", "otp"],
        }
        yield op


def sign_on(client: Client, op: Provider, **claims: Any) -> Any:
    start = client.get(reverse("orgs:sso_start"))
    assert start.status_code == 302 and start.url.startswith(op.issuer + "/authorize")
    query = parse_qs(urlparse(start.url).query)
    code = op.authorize(query, {"sub": "S-1001", **claims})
    return client.get(reverse("orgs:sso_callback"), {"code": code, "state": query["state"][0]})


def test_sign_on_creates_the_person_with_the_roles_of_their_groups(
    provider: Provider, org: Any, other_org: Any
) -> None:
    client = Client()
    done = sign_on(
        client,
        provider,
        preferred_username="lin.ciso",
        email="lin@bank.example",
        groups=["sec-ciso", "sec-staff"],
        amr=["pwd", "mfa"],
    )
    assert done.status_code == 302 and done.url == reverse("reports:dashboard")
    user = get_user_model().objects.get(username="lin.ciso")
    assert not user.has_usable_password()
    assert ExternalIdentity.objects.get(user=user).subject == "S-1001"
    roles = {m.organisation_id: m.role for m in Membership.objects.filter(user=user)}
    # The first group in the map wins where two grant a role in one organisation.
    assert roles == {org.pk: Role.CISO, other_org.pk: Role.AUDITOR}
    # The provider's multi-factor log-in is the second factor: the CISO works at once.
    assert client.get(reverse("assessments:list")).status_code == 200
    assert client.get("/api/assessments/").status_code == 200


def test_without_the_providers_mfa_a_ciso_still_needs_the_second_factor(
    provider: Provider,
) -> None:
    client = Client()
    sign_on(client, provider, preferred_username="wang", groups=["sec-ciso"], amr=["pwd"])
    assert client.get(reverse("assessments:list")).url == reverse("orgs:second_factor")


def test_group_changes_follow_and_local_memberships_stay(
    provider: Provider, org: Any, make_org: Any
) -> None:
    client = Client()
    sign_on(client, provider, preferred_username="chen", groups=["sec-staff"], amr=["mfa"])
    user = get_user_model().objects.get(username="chen")
    local = make_org(name="Local only")
    Membership.objects.create(user=user, organisation=local, role=Role.BOARD)
    client.logout()
    sign_on(Client(), provider, preferred_username="chen", groups=[], amr=["mfa"])
    assert list(Membership.objects.filter(user=user).values_list("organisation__name", "role")) == [
        ("Local only", Role.BOARD)
    ]
    assert get_user_model().objects.filter(username__startswith="chen").count() == 1


def test_a_provider_name_equal_to_a_local_account_does_not_take_it_over(
    provider: Provider, make_user: Any, org: Any
) -> None:
    local = make_user(Role.ADMINISTRATOR, org, username="admin")
    client = Client()
    sign_on(client, provider, preferred_username="admin", groups=["sec-staff"], amr=["mfa"])
    signed_on = ExternalIdentity.objects.get(subject="S-1001").user
    assert signed_on.pk != local.pk and signed_on.username.startswith("admin-")
    assert client.get(reverse("orgs:members")).status_code == 403  # a control owner, not admin
    local.refresh_from_db()
    assert local.check_password(PASSWORD)


def test_a_token_for_another_client_is_refused(provider: Provider) -> None:
    provider.audience = "someone-else"
    client = Client()
    done = sign_on(client, provider, preferred_username="mallory", groups=["sec-ciso"])
    assert done.url == reverse("orgs:login")
    assert not get_user_model().objects.filter(username="mallory").exists()
    assert "_auth_user_id" not in client.session


def test_sign_on_is_off_unless_configured(client: Client) -> None:
    assert client.get(reverse("orgs:sso_start")).status_code == 404
    assert client.get(reverse("orgs:sso_callback"), {"code": "x", "state": "y"}).status_code == 404
    assert "sso" not in client.get(reverse("orgs:login")).content.decode()


def test_the_login_page_offers_sign_on_when_configured(provider: Provider, client: Client) -> None:
    page = client.get(reverse("orgs:login")).content.decode()
    assert reverse("orgs:sso_start") in page and "行內 AD" in page


def test_the_role_map_is_checked_whole(tmp_path: Path, org: Any) -> None:
    path = tmp_path / "roles.json"
    path.write_text(json.dumps({"g": {org.name: "superuser"}, "h": ["x"]}), encoding="utf-8")
    with pytest.raises(ImproperlyConfigured) as error:
        load_role_map(path)
    assert "superuser" in str(error.value) and "h:" in str(error.value)
    path.write_text(json.dumps({"g": {org.name: "ciso"}}), encoding="utf-8")
    assert load_role_map(path) == {"g": {org.name: "ciso"}}
    assert wanted_roles(["x"], {"g": {"A": "ciso"}}) == {"A": None}
