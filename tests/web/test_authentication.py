"""Completed authentication on every way in; second-factor enrolment, throttling and lockout;
named API tokens; members administration and invitations."""

from __future__ import annotations

import datetime as dt
import subprocess
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from finres.web.audit.models import AuditEvent
from finres.web.orgs.credentials import issue_enrolment_code, issue_token
from finres.web.orgs.models import ApiToken, Membership
from finres.web.orgs.roles import Role

from ..conftest import REPO
from .conftest import PASSWORD, login
from .test_isolation import fill, params, routes

pytestmark = pytest.mark.django_db

# The only views a session between the password and the second factor may reach.
HALF_AUTHENTICATED_OK = {
    "login",
    "logout",
    "second_factor",
    "invitation",
    "password_reset_confirm",
    "sso_start",
    "sso_callback",
    "set_language",
}


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _half_authenticated(make_user: Any, org: Any, role: str = Role.CISO) -> tuple[Client, Any]:
    """A person with a registered device who has typed the password only."""
    user = make_user(role, org, username=f"half-{role}")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    response = client.post(reverse("orgs:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client, user


def test_every_route_demands_the_second_factor(make_user, org) -> None:
    """Walk every page, download, export and API route with a half-authenticated session."""
    from finres.web.setup import load_demo

    load_demo()
    client, _ = _half_authenticated(make_user, org)
    checked = 0
    for template, name in routes():
        if name in HALF_AUTHENTICATED_OK or template.startswith("static/"):
            continue
        url = fill(template, 1) if params(template) else "/" + template.replace("\\", "")
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            checked += 1
            if url.startswith("/api/"):
                assert response.status_code == 403, (method, url, response.status_code)
                assert response.json()["code"] == "second_factor_required", url
            else:
                assert response.status_code == 302, (method, url, response.status_code)
                assert response.url == reverse("orgs:second_factor"), (method, url)
    assert checked > 150


def test_a_privileged_role_anywhere_demands_the_second_factor_everywhere(
    make_user, org, make_org
) -> None:
    """A CISO elsewhere who is only a control owner here still needs the second factor here."""
    client, user = _half_authenticated(make_user, make_org(name="Elsewhere"))
    Membership.objects.create(user=user, organisation=org, role=Role.CONTROL_OWNER)
    client.post(reverse("orgs:select"), {"organisation": org.pk, "next": "/"})
    assert client.get(reverse("assessments:list")).url == reverse("orgs:second_factor")
    assert client.get("/api/assessments/").status_code == 403


def test_password_only_roles_work_without_a_second_factor(make_user, org) -> None:
    make_user(Role.CONTROL_OWNER, org, username="owner")
    client = Client()
    client.post(reverse("orgs:login"), {"username": "owner", "password": PASSWORD})
    assert client.get(reverse("assessments:list")).status_code == 200
    assert client.get("/api/assessments/").status_code == 200
    assert client.get("/api/schema/").status_code == 200


def test_the_second_factor_completes_the_log_in(make_user, org) -> None:
    client, user = _half_authenticated(make_user, org)
    device = TOTPDevice.objects.get(user=user)
    assert client.post(reverse("orgs:second_factor"), {"token": _code(device)}).status_code == 302
    assert client.get("/api/assessments/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
    actions = set(
        AuditEvent.objects.filter(actor_name=user.username).values_list("action", flat=True)
    )
    assert {"login", "second_factor_verified"} <= actions


def test_the_second_factor_page_fetches_nothing_that_needs_the_completed_log_in(
    make_user, org
) -> None:
    """The notification bell loads by htmx: on the second-factor page it would fetch the
    second-factor page itself into the header (a second form and button)."""
    client, user = _half_authenticated(make_user, org)
    page = client.get(reverse("orgs:second_factor")).content.decode()
    assert reverse("jobs:bell") not in page
    device = TOTPDevice.objects.get(user=user)
    client.post(reverse("orgs:second_factor"), {"token": _code(device)})
    assert reverse("jobs:bell") in client.get(reverse("reports:dashboard")).content.decode()


def test_a_right_code_after_a_wrong_one_is_told_to_wait_not_blamed_on_the_clock(
    make_user, org
) -> None:
    client, user = _half_authenticated(make_user, org)
    device = TOTPDevice.objects.get(user=user)
    wrong = client.post(reverse("orgs:second_factor"), {"token": "000000"})
    assert "1 秒" in wrong.content.decode()
    right = client.post(reverse("orgs:second_factor"), {"token": _code(device)})
    assert right.status_code == 429
    text = right.content.decode()
    assert "錯誤次數過多" in text and "秒" in text
    assert "時間" not in text  # the clock is not the problem
    assert "second_factor_failed" in AuditEvent.objects.values_list("action", flat=True)


def test_enrolment_needs_a_one_time_code_from_an_administrator(make_user, org) -> None:
    user = make_user(Role.ADMINISTRATOR, org, username="new-admin")
    client = Client()
    client.post(reverse("orgs:login"), {"username": "new-admin", "password": PASSWORD})
    page = client.get(reverse("orgs:second_factor")).content.decode()
    assert "otpauth://" not in page
    # Posting a TOTP code without an enrolment code registers nothing.
    client.post(reverse("orgs:second_factor"), {"token": "123456"})
    assert not TOTPDevice.objects.filter(user=user).exists()
    code = issue_enrolment_code(user, "someone")
    assert client.post(reverse("orgs:second_factor"), {"code": code}).status_code == 302
    page = client.get(reverse("orgs:second_factor")).content.decode()
    assert "otpauth://" in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post(reverse("orgs:second_factor"), {"token": _code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    # The code was used up: another session cannot enrol with it.
    other = Client()
    other.post(reverse("orgs:login"), {"username": "new-admin", "password": PASSWORD})
    TOTPDevice.objects.filter(user=user).delete()
    response = other.post(reverse("orgs:second_factor"), {"code": code})
    assert response.status_code == 200 and "otpauth://" not in response.content.decode()


def test_lockout_is_per_person_not_per_address(make_user, org) -> None:
    make_user(Role.CONTROL_OWNER, org, username="victim")
    make_user(Role.CONTROL_OWNER, org, username="colleague")
    office = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(5):
        office.post(reverse("orgs:login"), {"username": "victim", "password": "wrong"})
    # The colleague behind the same address still logs in.
    colleague = Client(REMOTE_ADDR="203.0.113.7")
    response = colleague.post(
        reverse("orgs:login"), {"username": "colleague", "password": PASSWORD}
    )
    assert response.status_code == 302
    # The victim is locked from any address.
    elsewhere = Client(REMOTE_ADDR="198.51.100.9")
    response = elsewhere.post(reverse("orgs:login"), {"username": "victim", "password": PASSWORD})
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action="login_failed", actor_name="victim").count() >= 5


def test_an_administrator_unlocks_and_resets_the_second_factor(
    client: Client, make_user, org
) -> None:
    admin = make_user(Role.ADMINISTRATOR, org, username="admin")
    victim = make_user(Role.CISO, org, username="locked-ciso")
    TOTPDevice.objects.create(user=victim, name="lost phone", confirmed=True)
    for _ in range(5):
        Client().post(reverse("orgs:login"), {"username": "locked-ciso", "password": "wrong"})
    login(client, admin)
    member = Membership.objects.get(user=victim)
    page = client.get(reverse("orgs:members")).content.decode()
    assert 'value="unlock"' in page
    client.post(reverse("orgs:member_action", args=[member.pk]), {"do": "unlock"})
    assert (
        Client()
        .post(reverse("orgs:login"), {"username": "locked-ciso", "password": PASSWORD})
        .status_code
        == 302
    )
    client.post(reverse("orgs:member_action", args=[member.pk]), {"do": "reset_second_factor"})
    assert not TOTPDevice.objects.filter(user=victim).exists()
    page = client.get(reverse("orgs:members")).content.decode()
    assert "data-secret" in page  # the new enrolment code, shown once
    assert "data-secret" not in client.get(reverse("orgs:members")).content.decode()
    done = set(AuditEvent.objects.filter(organisation_id=org.pk).values_list("action", flat=True))
    assert {"account_unlocked", "second_factor_reset"} <= done


def test_members_page_changes_roles_removes_and_keeps_an_administrator(
    client: Client, make_user, org
) -> None:
    admin = make_user(Role.ADMINISTRATOR, org, username="admin")
    owner = make_user(Role.CONTROL_OWNER, org, username="owner")
    owner.last_login = timezone.now()
    owner.save()
    login(client, admin)
    page = client.get(reverse("orgs:members")).content.decode()
    assert owner.last_login.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") in page
    member = Membership.objects.get(user=owner)
    client.post(
        reverse("orgs:member_action", args=[member.pk]),
        {"do": "role", f"m{member.pk}-role": Role.AUDITOR},
    )
    member.refresh_from_db()
    assert member.role == Role.AUDITOR
    own = Membership.objects.get(user=admin)
    client.post(
        reverse("orgs:member_action", args=[own.pk]),
        {"do": "role", f"m{own.pk}-role": Role.BOARD},
    )
    own.refresh_from_db()
    assert own.role == Role.ADMINISTRATOR  # the last administrator stays one
    client.post(reverse("orgs:member_action", args=[member.pk]), {"do": "remove"})
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert AuditEvent.objects.filter(model="orgs.membership", action="delete").exists()


def test_members_of_another_organisation_cannot_be_touched(
    client: Client, make_user, org, other_org
) -> None:
    login(client, make_user(Role.ADMINISTRATOR, org, username="admin"))
    foreign = make_user(Role.CONTROL_OWNER, other_org, username="foreign")
    member = Membership.objects.get(user=foreign)
    response = client.post(reverse("orgs:member_action", args=[member.pk]), {"do": "remove"})
    assert response.status_code == 404
    assert Membership.objects.filter(pk=member.pk).exists()


def _invite(client: Client, role: str = Role.CONTROL_OWNER) -> str:
    client.post(reverse("orgs:invite"), {"note": "Ms Lin", "role": role})
    page = client.get(reverse("orgs:members")).content.decode()
    start = page.index("data-secret>") + len("data-secret>")
    return page[start : page.index("<", start)]


def test_invitations_reveal_no_user_names_and_need_consent(
    client: Client, make_user, org, other_org
) -> None:
    login(client, make_user(Role.ADMINISTRATOR, org, username="admin"))
    someone = make_user(Role.CISO, other_org, username="someone")
    # Nothing on the page takes a user name: it cannot tell which exist.
    assert 'name="username"' not in client.get(reverse("orgs:members")).content.decode()
    link = _invite(client)
    assert not Membership.objects.filter(user=someone, organisation=org).exists()
    # The invited person, logged in with their own account, accepts.
    invited = login(Client(), someone)
    path = link.split("testserver", 1)[1]
    assert invited.get(path).status_code == 200
    invited.post(path)
    assert Membership.objects.get(user=someone, organisation=org).role == Role.CONTROL_OWNER
    # The link works once.
    assert Client().get(path).status_code == 404


def test_a_new_person_joins_through_an_invitation_and_may_enrol(
    client: Client, make_user, org
) -> None:
    login(client, make_user(Role.ADMINISTRATOR, org, username="admin"))
    path = _invite(client, Role.CISO).split("testserver", 1)[1]
    newcomer = Client()
    response = newcomer.post(
        path,
        {
            "username": "new-ciso",
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
        },
    )
    assert response.status_code == 302 and response.url == reverse("orgs:second_factor")
    assert "otpauth://" in newcomer.get(reverse("orgs:second_factor")).content.decode()
    assert Membership.objects.get(user__username="new-ciso").role == Role.CISO
    taken = Client().post(
        _invite(client).split("testserver", 1)[1],
        {
            "username": "admin",
            "password1": "x-long-passphrase-1",
            "password2": "x-long-passphrase-1",
        },
    )
    assert taken.status_code == 200  # the form again, naming the problem; nothing created
    assert Membership.objects.filter(user__username="admin").count() == 1


# --- API tokens -----------------------------------------------------------------------------------


def test_tokens_are_named_scoped_expiring_and_revocable(client: Client, make_user, org) -> None:
    user = make_user(Role.CISO, org, username="ciso")
    login(client, user)
    response = client.post(
        reverse("orgs:api_token"), {"name": "SIEM export", "scope": "read", "days": "30"}
    )
    key = response.content.decode().split("data-token>")[1].split("<")[0]
    token = ApiToken.objects.get(user=user)
    assert token.name == "SIEM export" and token.second_factor
    assert key not in str(ApiToken.objects.values_list()) and token.key_hash != key
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/assessments/").status_code == 200
    write = api.post("/api/assessments/", {"title": "x"}, content_type="application/json")
    assert write.status_code == 403  # read only
    token.refresh_from_db()
    assert token.last_used is not None
    events = AuditEvent.objects.filter(model="orgs.apitoken")
    assert {"token_created", "token_used"} <= set(events.values_list("action", flat=True))
    assert events.filter(action="token_used").first().actor_name == "ciso"
    client.post(reverse("orgs:api_token"), {"revoke": token.pk})
    assert api.get("/api/assessments/").status_code == 401
    assert events.filter(action="token_revoked").exists()
    # Expired tokens stop working too.
    _, old_key = issue_token(user, "old", "write", 1, second_factor=True)
    ApiToken.objects.filter(name="old").update(expires=timezone.now() - dt.timedelta(seconds=1))
    assert Client(HTTP_AUTHORIZATION=f"Token {old_key}").get("/api/assessments/").status_code == 401


def test_a_token_made_without_the_second_factor_does_not_serve_a_privileged_person(
    make_user, org
) -> None:
    user = make_user(Role.CONTROL_OWNER, org, username="promoted")
    _, key = issue_token(user, "before", "write", 30, second_factor=False)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/assessments/").status_code == 200
    Membership.objects.filter(user=user).update(role=Role.CISO)
    assert api.get("/api/assessments/").status_code == 401


def test_writes_with_a_token_are_recorded_as_the_tokens_person(make_user, org) -> None:
    user = make_user(Role.CISO, org, username="writer")
    _, key = issue_token(user, "rw", "write", 30, second_factor=True)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.patch(
        "/api/organisation/current/", {"internet_order": False}, content_type="application/json"
    )
    assert response.status_code == 200
    event = AuditEvent.objects.filter(model="orgs.organisation", action="update").last()
    assert event.actor_name == "writer"


def test_api_and_log_in_are_throttled(settings, make_user, org) -> None:
    settings.FINRES_THROTTLE_RATES = {"anonymous": "3/min", "person": "3/min", "login": "3/min"}
    from django.core.cache import cache

    cache.clear()
    user = make_user(Role.CONTROL_OWNER, org, username="busy")
    _, key = issue_token(user, "t", "read", 30)
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    statuses = [api.get("/api/assessments/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    browser = Client()
    statuses = [
        browser.post(reverse("orgs:login"), {"username": "x", "password": "y"}).status_code
        for _ in range(4)
    ]
    assert (
        statuses[-1] == 429
        and "Retry-After"
        in browser.post(reverse("orgs:login"), {"username": "x", "password": "y"}).headers
    )
    cache.clear()


def test_password_change_in_the_ui(client: Client, make_user, org) -> None:
    user = make_user(Role.CONTROL_OWNER, org, username="changer")
    login(client, user)
    response = client.post(
        reverse("orgs:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-7",
            "new_password2": "another-long-passphrase-7",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase-7")


def test_no_secret_key_is_tracked_in_the_repository() -> None:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files", "var"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert tracked.strip() == ""


def test_an_administrator_issues_a_one_time_password_link(client: Client, make_user, org) -> None:
    login(client, make_user(Role.ADMINISTRATOR, org, username="admin"))
    forgot = make_user(Role.CONTROL_OWNER, org, username="forgetful")
    member = Membership.objects.get(user=forgot)
    client.post(reverse("orgs:member_action", args=[member.pk]), {"do": "password_link"})
    page = client.get(reverse("orgs:members")).content.decode()
    link = page.split("data-secret>")[1].split("<")[0].split("testserver", 1)[1]
    person = Client()
    form = person.get(link, follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    new = "a-fresh-long-passphrase-9"
    done = person.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done.url == reverse("orgs:login")
    forgot.refresh_from_db()
    assert forgot.check_password(new)
    # Used once: the link no longer works.
    again = Client().get(link, follow=True).content.decode()
    assert 'name="new_password1"' not in again
    assert AuditEvent.objects.filter(action="password_reset_issued").exists()
