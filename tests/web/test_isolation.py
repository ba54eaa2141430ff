"""Organisation isolation over EVERY route: a user of organisation X can neither read nor change
an object of organisation Y, through any page or API endpoint.

Organisation Y is filled with the demo data (every kind of object). Organisation X is new and
holds nothing but itself and an administrator (the role that may do the most), with ids far
from Y's, so any success on a URL that names one of Y's ids is a leak. Every route is found by
walking the URL resolver, so a route added later is covered without changing this test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from finres.web.audit.models import AuditEvent
from finres.web.orgs.models import Membership, Organisation
from finres.web.orgs.roles import Role

from .conftest import login

pytestmark = pytest.mark.django_db

# Routes that are not about organisation data (log-in, language, library content, API docs).
PUBLIC_OR_SHARED = re.compile(
    r"^(accounts/(login|logout|second-factor|password/reset|sso|invitation)/|i18n/|library/|"
    r"api/(schema|docs)/|"
    r"api/(frameworks|requirements|mappings)/|static/)"
)
PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def routes(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(route template, name) for every URL pattern, includes expanded."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        text = str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + text)
        elif isinstance(pattern, URLPattern):
            if "format" in text:  # DRF's .json/.api suffix variants duplicate the plain routes
                continue
            yield prefix + text, pattern.name or ""


def params(template: str) -> list[str]:
    return [m.group("name") or m.group("rname") for m in PARAM.finditer(template)]


def fill(template: str, value: Any) -> str:
    return "/" + PARAM.sub(str(value), template).replace("\\", "")


def organisation_models() -> list[type[models.Model]]:
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("finres.web."):
            continue
        if any(f.name == "organisation" for f in model._meta.get_fields()):
            found.append(model)
    return found


@pytest.fixture
def world() -> dict[str, Any]:
    from finres.web.setup import load_demo

    context = load_demo()
    victim = context.organisations["securities"]
    outsider = Organisation.objects.create(
        pk=990_000,
        name="Outsider Securities",
        industry="securities",
        paid_in_capital=5_000_000_000,
    )
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        pk=990_000, username="outsider-admin", password="x" * 16
    )
    Membership.objects.create(pk=990_000, user=user, organisation=outsider, role=Role.ADMINISTRATOR)
    samples: dict[str, int] = {}
    for model in organisation_models():
        row = model.objects.filter(organisation=victim).order_by("pk").first()
        if row is not None:
            samples[model._meta.label] = row.pk
    samples["orgs.Organisation"] = victim.pk
    return {"victim": victim, "outsider": outsider, "user": user, "samples": samples}


def test_the_demo_covers_every_organisation_model(world: dict[str, Any]) -> None:
    missing = [
        m._meta.label for m in organisation_models() if m._meta.label not in world["samples"]
    ]
    assert missing == [], "the demo should create at least one of each, so isolation is tested"


def test_no_route_serves_or_changes_another_organisations_object(world: dict[str, Any]) -> None:
    client = login(Client(), world["user"])
    victim_events = AuditEvent.objects.filter(organisation_id=world["victim"].pk).count()
    leaks = []
    checked = 0
    for template, name in routes():
        names = params(template)
        if not names or PUBLIC_OR_SHARED.match(template):
            continue
        for label, pk in world["samples"].items():
            url = fill(template, pk)
            for method in ("get", "post", "put", "patch", "delete"):
                response = (
                    getattr(client, method)(url, content_type="application/json")
                    if method in ("put", "patch")
                    else getattr(client, method)(url)
                )
                checked += 1
                if response.status_code not in (400, 403, 404, 405):
                    leaks.append(
                        f"{method.upper()} {url} ({name}, {label}) -> {response.status_code}"
                    )
    assert checked > 0
    assert leaks == []
    assert AuditEvent.objects.filter(organisation_id=world["victim"].pk).count() == victim_events


def test_lists_show_nothing_of_another_organisation(world: dict[str, Any]) -> None:
    client = login(Client(), world["user"])
    titles = []
    for model in organisation_models():
        for field in ("title", "name"):
            if any(f.name == field for f in model._meta.get_fields()):
                titles += [
                    str(v)
                    for v in model.objects.filter(organisation=world["victim"]).values_list(
                        field, flat=True
                    )[:20]
                    if v and len(str(v)) > 6
                ]
    assert titles
    problems = []
    for template, _name in routes():
        if params(template) or PUBLIC_OR_SHARED.match(template) or template.endswith("logout/"):
            continue
        response = client.get("/" + template.replace("\\", ""))
        if response.status_code != 200:
            continue
        body = response.content.decode("utf-8", errors="replace")
        problems += [f"{template} shows {t!r}" for t in titles if t in body]
        if template.startswith("api/") and response.get("Content-Type", "").startswith(
            "application/json"
        ):
            data = response.json()
            if isinstance(data, dict) and "count" in data and data["count"]:
                problems.append(f"{template} lists {data['count']} objects")
    assert problems == []


def test_anonymous_requests_are_refused(world: dict[str, Any]) -> None:
    client = Client()
    open_routes = []
    for template, _name in routes():
        if PUBLIC_OR_SHARED.match(template) and not template.startswith("api/"):
            continue
        url = fill(template, world["samples"]["orgs.Organisation"])
        response = client.get(url)
        if response.status_code == 200:
            open_routes.append(url)
    assert open_routes == []


# Pages and API routes a board member (reports only) may open.
BOARD_MAY_OPEN = re.compile(
    r"^(|reports/.*|group/|api/(dashboard|board-reports|declarations)/.*|"
    r"accounts/(api-token|second-factor|password)/|api/|"
    # Background jobs: those of the kinds a board member may run (final reports' documents).
    r"jobs/.*|api/jobs/.*)$"
)


def test_a_board_member_sees_reports_only(world: dict[str, Any]) -> None:
    from django.contrib.auth import get_user_model

    board = get_user_model().objects.get(username="demo-board")
    client = login(Client(), board)
    opened = []
    for template, _name in routes():
        if PUBLIC_OR_SHARED.match(template):
            continue
        candidates = list(world["samples"].values()) if params(template) else [None]
        for pk in candidates:
            url = fill(template, pk) if pk is not None else "/" + template.replace("\\", "")
            response = client.get(url)
            if response.status_code == 200 and not BOARD_MAY_OPEN.match(url.lstrip("/")):
                opened.append(url)
    assert opened == []
