"""Fixtures for the web application's tests (SQLite by default; PostgreSQL via DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from finres.core.library import load_library
from finres.web.orgs.models import Membership, Organisation
from finres.web.orgs.roles import Role

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """The test database gets the library once per session (it is read-only content)."""
    from finres.web.frameworks.sync import sync_library

    with django_db_blocker.unblock():
        sync_library(load_library())


@pytest.fixture
def make_org(db: Any) -> Callable[..., Organisation]:
    counter = {"n": 0}

    def make(**fields: Any) -> Organisation:
        counter["n"] += 1
        values: dict[str, Any] = {
            "name": f"Org {counter['n']}",
            "industry": "securities",
            "paid_in_capital": 15_000_000_000,
            "internet_order": True,
            "uses": ["cloud"],
        }
        values.update(fields)
        return Organisation.objects.create(**values)

    return make


@pytest.fixture
def org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(name="Alpha Securities")


@pytest.fixture
def other_org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(name="Beta Bank", industry="bank", paid_in_capital=50_000_000_000)


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    def make(role: str, organisation: Organisation, username: str | None = None) -> Any:
        username = username or f"{role}-{organisation.pk}"
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        Membership.objects.create(user=user, organisation=organisation, role=role)
        return user

    return make


def login(client: Client, user: Any) -> Client:
    """Log in as ``user`` with a confirmed second factor already verified in the session."""
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="test", defaults={"confirmed": True}
    )
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for(make_user: Callable[..., Any]) -> Callable[..., Client]:
    def make(role: str, organisation: Organisation) -> Client:
        return login(Client(), make_user(role, organisation))

    return make


@pytest.fixture
def ciso_client(client_for: Callable[..., Client], org: Organisation) -> Client:
    return client_for(Role.CISO, org)
