"""The audit page and its CSV export: people's words, filters, isolation, formula-safe cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from finres.web.audit.context import Actor, acting_as
from finres.web.audit.models import AuditEvent
from finres.web.audit.views import formula_safe
from finres.web.orgs.models import Membership
from finres.web.orgs.roles import Role

pytestmark = pytest.mark.django_db


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def rows(response: Any) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _role_change(org: Any, make_user: Any) -> Membership:
    member = make_user(Role.CONTROL_OWNER, org, username="bob")
    membership = Membership.objects.get(user=member, organisation=org)
    with acting_as(Actor(None, "carol")):
        membership.role = Role.AUDITOR
        membership.save()
    return membership


def test_the_page_speaks_peoples_words(client_for, org, make_user) -> None:
    membership = _role_change(org, make_user)
    client = client_for(Role.AUDITOR, org)
    page = client.get(reverse("audit:list"))
    assert page.status_code == 200
    html = page.content.decode()
    # zh-TW by default: the translated action, object type, field label and choice labels.
    assert "<td>已更新</td>" in html and "<td>成員資格 · " in html and "<td>角色</td>" in html
    assert str(membership) in html
    assert "內部稽核" in html and "控制措施負責人" in html
    assert '"wrap">control_owner<' not in html and "orgs.membership ·" not in html
    # Times in the institution's zone, the zone marked.
    event = AuditEvent.objects.filter(action="update").last()
    stored = dt.datetime.fromisoformat(event.timestamp)
    local = stored.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert f"{local:%Y-%m-%d %H:%M:%S} UTC+08:00" in html
    assert "Asia/Taipei" in html

    english_html = english(client).get(reverse("audit:list")).content
    text = english_html.decode()
    assert "<td>updated</td>" in text and "<td>membership · " in text
    assert "Internal auditor" in text
    assert "Control owner" in text and ">role<" in text


def test_filters_by_who_what_when_and_object(client_for, org, make_user) -> None:
    _role_change(org, make_user)
    client = client_for(Role.AUDITOR, org)
    url = reverse("audit:list")

    def shown(**query: str) -> set[int]:
        response = client.get(url, query)
        assert response.status_code == 200
        return {row.event.sequence for row in response.context["rows"]}

    everything = shown()
    carol = AuditEvent.objects.get(actor_name="carol")
    assert shown(who="caro") == {carol.sequence}
    assert shown(action="update") == {carol.sequence}
    assert carol.sequence not in shown(action="create")
    members = shown(model="orgs.membership")
    assert carol.sequence in members and members < everything
    assert shown(object="bob @") >= {carol.sequence}
    today = dt.datetime.fromisoformat(carol.timestamp).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    day = today.date().isoformat()
    assert carol.sequence in shown(since=day, until=day)
    assert shown(until=(today.date() - dt.timedelta(days=1)).isoformat()) == set()
    assert shown(since=(today.date() + dt.timedelta(days=1)).isoformat()) == set()
    # Bad input is answered with a message, not an error page; it filters nothing.
    bad = client.get(url, {"since": "not a date", "action": "nonsense"})
    assert bad.status_code == 200 and bad.context["form"].errors
    reversed_range = client.get(url, {"since": "2026-02-01", "until": "2026-01-01"})
    assert "until" in reversed_range.context["form"].errors


def test_pages_keep_the_filters(client_for, org, make_user) -> None:
    with acting_as(Actor(None, "bulk")):
        for n in range(55):
            make_user(Role.BOARD, org, username=f"board-{n}")
    page = client_for(Role.AUDITOR, org).get(reverse("audit:list"), {"who": "bulk"})
    assert page.context["page_obj"].paginator.count > 50
    assert "who=bulk&amp;page=2" in page.content.decode()


def test_only_the_organisations_events_and_only_for_auditors(
    client_for, org, other_org, make_user
) -> None:
    with acting_as(Actor(None, "secret-actor")):
        make_user(Role.BOARD, other_org, username="outsider")
    auditor = client_for(Role.AUDITOR, org)
    page = auditor.get(reverse("audit:list"))
    assert "secret-actor" not in page.content.decode()
    assert "outsider" not in page.content.decode()
    export = rows(auditor.get(reverse("audit:export")))
    assert export and not any("outsider" in cell for row in export for cell in row)
    assert not any("secret-actor" in cell for row in export for cell in row)
    # Even a filter naming the other organisation's event finds nothing.
    assert auditor.get(reverse("audit:list"), {"who": "secret"}).context["rows"] == []
    for role in (Role.BOARD, Role.CONTROL_OWNER):
        client = client_for(role, org)
        assert client.get(reverse("audit:list")).status_code == 403
        assert client.get(reverse("audit:export")).status_code == 403


def test_the_export_is_readable_json_and_formula_safe(client_for, org, make_user) -> None:
    _role_change(org, make_user)
    with acting_as(Actor(None, "@attacker")):
        org.name = '=HYPERLINK("http://evil.example","x")'
        org.save()
    client = english(client_for(Role.AUDITOR, org))
    table = rows(client.get(reverse("audit:export")))
    header, body = table[0], table[1:]
    assert "Asia/Taipei" in header[1]
    by_actor = {row[2]: row for row in body}
    renamed = by_actor["'@attacker"]
    assert renamed[3] == "updated" and renamed[4] == "organisation"
    assert renamed[6].startswith("'=HYPERLINK")
    changes = json.loads(renamed[7].removeprefix("'"))
    assert changes["name"][1].startswith("=HYPERLINK")
    role = json.loads(by_actor["carol"][7])
    assert role == {"role": ["Control owner", "Internal auditor"]}
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_safe_neutralises_every_dangerous_start(value: str) -> None:
    assert formula_safe(value) == "'" + value
    assert formula_safe("plain") == "plain" and formula_safe(None) == ""


def test_the_object_type_filter_offers_each_type_in_the_trail_as_it_appears(
    client_for, org, make_user
) -> None:
    from finres.web.registers.models import Site

    client = client_for(Role.AUDITOR, org)

    def offered() -> set[str]:
        form = client.get(reverse("audit:list")).context["form"]
        return {value for value, _label in form.fields["model"].choices if value}

    before = offered()
    assert "registers.site" not in before
    assert offered() == before  # kept while the trail has not moved
    Site.objects.create(organisation=org, code="DC-1", name="Main data centre")
    assert offered() == before | {"registers.site"}
