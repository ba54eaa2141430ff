from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from finres.web.orgs.models import Membership
from finres.web.orgs.roles import Role

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_by_default(client: Client) -> None:
    response = client.get(reverse("orgs:login"))
    assert response.status_code == 200
    assert "登入" in response.content.decode()


def test_english_on_request(client: Client) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Log in" in client.get(reverse("orgs:login")).content.decode()


def test_passwords_are_hashed_with_argon2(settings, make_user, org) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = make_user(Role.CONTROL_OWNER, org)
    user.set_password("a-long-enough-password")
    assert user.password.startswith("argon2$")


def test_lockout_after_repeated_failures(client: Client, make_user, org) -> None:
    user = make_user(Role.CONTROL_OWNER, org, username="victim")
    for _ in range(5):
        client.post(reverse("orgs:login"), {"username": "victim", "password": "wrong"})
    response = client.post(reverse("orgs:login"), {"username": "victim", "password": PASSWORD})
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated
    assert user.pk


def test_ciso_must_enrol_and_use_a_second_factor(client: Client, make_user, org) -> None:
    make_user(Role.CISO, org, username="ciso")
    response = client.post(reverse("orgs:login"), {"username": "ciso", "password": PASSWORD})
    assert response.status_code == 302
    # Logged in, but any page of the organisation sends them to the second factor.
    page = client.get(reverse("orgs:profile"))
    assert page.status_code == 302 and page.url == reverse("orgs:second_factor")
    # Registering a device needs an administrator's one-time enrolment code first.
    ask = client.get(reverse("orgs:second_factor"))
    assert "<svg" not in ask.content.decode() and 'name="code"' in ask.content.decode()
    assert not TOTPDevice.objects.filter(user__username="ciso").exists()
    from finres.web.orgs.credentials import issue_enrolment_code

    code = issue_enrolment_code(Membership.objects.get(user__username="ciso").user, "admin")
    assert client.post(reverse("orgs:second_factor"), {"code": "AAAAAA"}).status_code == 200
    client.post(reverse("orgs:second_factor"), {"code": code.lower()})
    enrol = client.get(reverse("orgs:second_factor"))
    assert "<svg" in enrol.content.decode()
    device = TOTPDevice.objects.get(user__username="ciso", confirmed=False)
    wrong = client.post(reverse("orgs:second_factor"), {"token": "000000"})
    assert wrong.status_code == 200
    device.refresh_from_db()
    device.throttle_reset()  # a failure throttles the next try; the test need not wait
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    ok = client.post(reverse("orgs:second_factor"), {"token": code})
    assert ok.status_code == 302
    assert client.get(reverse("orgs:profile")).status_code == 200


def test_control_owner_needs_no_second_factor_but_cannot_manage(
    client: Client, make_user, org
) -> None:
    make_user(Role.CONTROL_OWNER, org, username="owner")
    client.post(reverse("orgs:login"), {"username": "owner", "password": PASSWORD})
    assert client.get(reverse("orgs:profile")).status_code == 403


def test_profile_validation_and_audit(ciso_client: Client, org) -> None:
    from finres.web.audit.models import AuditEvent

    response = ciso_client.post(
        reverse("orgs:profile"),
        {"name": org.name, "industry": "securities", "paid_in_capital": "-5", "uses": ["cloud"]},
    )
    assert response.status_code == 200  # re-shown with the error, nothing saved
    org.refresh_from_db()
    assert org.paid_in_capital == 15_000_000_000
    response = ciso_client.post(
        reverse("orgs:profile"),
        {
            "name": org.name,
            "industry": "securities",
            "paid_in_capital": "3000000000",
            "internet_order": "on",
            "uses": ["cloud", "ai"],
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(model="orgs.organisation", action="update").last()
    assert event.changes["paid_in_capital"] == [15_000_000_000, 3_000_000_000]
    assert event.actor_name.startswith("ciso")


def test_group_role_extends_to_subsidiaries(make_org, make_user) -> None:
    from finres.web.orgs.access import roles_of

    group = make_org(name="Group", industry="bank", is_group=True)
    child = make_org(name="Child", parent=group)
    user = make_user(Role.CISO, group)
    assert roles_of(user) == {group.pk: Role.CISO, child.pk: Role.CISO}
    Membership.objects.create(user=user, organisation=make_org(name="Other"), role=Role.BOARD)
    assert len(roles_of(user)) == 3
    grandchild = make_org(name="Grandchild", parent=child)
    Membership.objects.create(user=user, organisation=child, role=Role.CONTROL_OWNER)
    assert roles_of(user)[child.pk] == Role.CONTROL_OWNER  # held there directly
    assert grandchild.pk in roles_of(user)  # below both


def test_roles_of_a_member_of_one_organisation_take_one_statement(
    make_org, make_user, django_assert_num_queries
) -> None:
    """Read on every request: an organisation without subsidiaries needs no look below it."""
    from finres.web.orgs.access import roles_of

    org = make_org(name="Alone")
    user = make_user(Role.CISO, org)
    with django_assert_num_queries(1):
        assert roles_of(user) == {org.pk: Role.CISO}


def test_cannot_switch_to_a_foreign_organisation(ciso_client: Client, other_org) -> None:
    from finres.web.orgs.access import SESSION_KEY

    ciso_client.post(reverse("orgs:select"), {"organisation": other_org.pk, "next": "/"})
    assert ciso_client.session.get(SESSION_KEY) != other_org.pk


def test_api_token_acts_in_the_callers_organisation(make_user, org, other_org) -> None:
    from finres.web.orgs.credentials import issue_token

    user = make_user(Role.CONTROL_OWNER, org, username="api-user")
    _, key = issue_token(user, "test", "write", 30)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/organisation/current/")
    assert response.status_code == 200
    assert response.json()["name"] == org.name
    # Naming an organisation where the caller has no role changes nothing.
    response = client.get(
        "/api/organisation/current/", HTTP_X_FINRES_ORGANISATION=str(other_org.pk)
    )
    assert response.json()["name"] == org.name
    assert (
        Client(HTTP_AUTHORIZATION="Token nope").get("/api/organisation/current/").status_code == 401
    )


def test_an_english_browser_still_gets_chinese_until_it_chooses(client: Client) -> None:
    page = client.get(reverse("orgs:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登入" in page.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("orgs:login"), HTTP_ACCEPT_LANGUAGE="zh-TW")
    assert "Log in" in page.content.decode()


def test_a_fresh_site_gets_its_organisation_and_administrator_from_the_cli(
    capsys, monkeypatch
) -> None:
    from finres.cli import main
    from finres.web.orgs.models import Organisation

    from ..conftest import REPO

    monkeypatch.setenv("FINRES_ADMIN_PASSWORD", "a-long-and-unusual-passphrase")
    main(
        [
            "organisation",
            "add",
            "--profile",
            str(REPO / "examples" / "profiles" / "securities-firm.yaml"),
            "--lang",
            "en",
        ]
    )
    organisation = Organisation.objects.get(name="範例綜合證券股份有限公司")
    assert organisation.paid_in_capital == 15_000_000_000
    assert "generative_ai" in organisation.uses
    main(["createadmin", "--username", "first-admin", "--organisation", organisation.name])
    membership = Membership.objects.get(user__username="first-admin")
    assert membership.role == Role.ADMINISTRATOR and membership.organisation == organisation
    out = capsys.readouterr().out
    assert "created" in out
    with pytest.raises(SystemExit) as failed:
        main(
            [
                "organisation",
                "add",
                "--profile",
                str(REPO / "examples" / "profiles" / "bank.yaml"),
                "--parent",
                "Nowhere",
            ]
        )
    assert failed.value.code == 1
    assert not Organisation.objects.filter(name="範例商業銀行").exists()
