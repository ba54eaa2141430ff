"""Demo organisations and people: a financial holding with a securities firm and a bank."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from finres.web.orgs.models import Membership, Organisation
from finres.web.orgs.roles import Role

DEMO_PASSWORD = "finres-demo-2026"  # printed by `finres demo`; the demo is for a local machine


def load(context: Any) -> None:
    if Organisation.objects.filter(name="範例金融控股股份有限公司").exists():
        context.organisations = {
            "group": Organisation.objects.get(name="範例金融控股股份有限公司"),
            "securities": Organisation.objects.get(name="範例綜合證券股份有限公司"),
            "bank": Organisation.objects.get(name="範例商業銀行股份有限公司"),
        }
        context.users = {
            u.username: u for u in get_user_model().objects.filter(username__startswith="demo-")
        }
        context.logins = _logins()
        context.already_loaded = True
        return
    context.already_loaded = False
    group = Organisation.objects.create(
        name="範例金融控股股份有限公司",
        industry="bank",
        paid_in_capital=120_000_000_000,
        is_group=True,
    )
    securities = Organisation.objects.create(
        name="範例綜合證券股份有限公司",
        parent=group,
        industry="securities",
        paid_in_capital=15_000_000_000,
        internet_order=True,
        uses=[
            "cloud",
            "social_media",
            "mobile_devices",
            "mobile_app",
            "phone_trading",
            "ai",
            "generative_ai",
        ],
    )
    bank = Organisation.objects.create(
        name="範例商業銀行股份有限公司",
        parent=group,
        industry="bank",
        paid_in_capital=50_000_000_000,
        uses=["cloud", "mobile_app", "ai"],
    )
    context.organisations = {"group": group, "securities": securities, "bank": bank}
    people = [
        ("demo-admin", Role.ADMINISTRATOR, securities),
        ("demo-ciso", Role.CISO, securities),
        ("demo-owner", Role.CONTROL_OWNER, securities),
        ("demo-auditor", Role.AUDITOR, securities),
        ("demo-board", Role.BOARD, securities),
        ("demo-bank-ciso", Role.CISO, bank),
        ("demo-group-ciso", Role.CISO, group),
    ]
    user_model = get_user_model()
    for username, role, organisation in people:
        user = user_model.objects.create_user(
            username=username, email=f"{username}@example.com", password=DEMO_PASSWORD
        )
        Membership.objects.create(user=user, organisation=organisation, role=role)
        context.users[username] = user
    # An integration's read-only token and an invitation not yet accepted, as a site has them.
    from finres.web.orgs.credentials import issue_invitation, issue_token

    issue_token(
        context.users["demo-auditor"], "內部稽核報表匯出", "read", 90, organisation=securities
    )
    issue_invitation(securities, str(Role.CONTROL_OWNER), "資訊處 王小明", "demo-admin")
    context.logins = _logins()


def _logins() -> list[tuple[str, str, str, str, str]]:
    """(user, password, role, organisation, enrolment code) for each demo person.

    Privileged people without a second factor get a fresh one-time enrolment code each time the
    demo's log-ins are printed: registering an authenticator needs an administrator's code.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from finres.web.orgs.credentials import issue_enrolment_code
    from finres.web.orgs.roles import SECOND_FACTOR_REQUIRED

    rows = []
    members = (
        Membership.objects.select_related("user", "organisation")
        .filter(user__username__startswith="demo-")
        .order_by("user__username")
    )
    for m in members:
        code = ""
        if (
            m.role in SECOND_FACTOR_REQUIRED
            and not TOTPDevice.objects.filter(user=m.user, confirmed=True).exists()
        ):
            code = issue_enrolment_code(m.user, "finres demo", organisation=m.organisation)
        rows.append(
            (m.user.username, DEMO_PASSWORD, str(Role(m.role).label), m.organisation.name, code)
        )
    return rows
