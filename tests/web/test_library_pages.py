"""The library pages as a reader sees them: the tree of a framework and labels, not codes."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role

pytestmark = pytest.mark.django_db

BLUEPRINT = "fsc-resilience-blueprint-2025"


def rows(page: str) -> list[list[str]]:
    """The table rows of a page as lists of cell texts."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        found.append([" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells])
    return found


@pytest.fixture
def reader(client_for: object, org: Organisation) -> Client:
    return client_for(Role.AUDITOR, org)  # type: ignore[operator]


def test_the_framework_page_keeps_axis_work_item_and_measure_together(reader: Client) -> None:
    page = reader.get(reverse("frameworks:detail", args=[BLUEPRINT])).content.decode()
    titles = [cells[1] for cells in rows(page)]
    axis_1 = titles.index("目標治理：以成果導向強化決策鏈與問責鏈")
    work_item_1 = titles.index("強化經營階層資安治理職能與問責機制，鼓勵資安法規調適")
    measure_1 = titles.index("提升董事會資安監督能量，資安納入公司治理核心")
    measure_2 = titles.index("強化金融資安長問責及賦權機制")
    work_item_2 = titles.index("加強資安人才培育與交流，從共通基準邁向策略目標")
    axis_2 = titles.index("全域防護：從安全設計到技術韌性的全域防護")
    assert axis_1 < work_item_1 < measure_1 < measure_2 < work_item_2 < axis_2
    refs = [cells[0] for cells in rows(page)]
    assert refs[axis_1] == "構面 一" and refs[work_item_1] == "工作項目 1"
    assert refs[measure_1] == "執行措施 1"


def test_obligations_are_labels_not_codes(reader: Client) -> None:
    page = reader.get(reverse("frameworks:detail", args=[BLUEPRINT])).content.decode()
    obligations = {cells[2] for cells in rows(page)}
    assert {"應", "宜", "得"} <= obligations
    assert not obligations & {"shall", "should", "may"}
    reader.cookies["django_language"] = "en"
    page = reader.get(reverse("frameworks:detail", args=[BLUEPRINT])).content.decode()
    assert {"Shall", "Should", "May"} <= {cells[2] for cells in rows(page)} or {
        "shall",
        "should",
        "may",
    } <= {cells[2] for cells in rows(page)}


def test_a_requirement_page_shows_labels_not_codes(reader: Client) -> None:
    url = reverse(
        "frameworks:requirement",
        args=["twse-securities-tiered-protection", "cc-17010-health-check"],
    )
    page = reader.get(url).content.decode()
    flat = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    meta = re.search(r"(規範強度|義務強度)\s*:.*?完成期限", flat)
    assert meta is not None and re.search(r":\s*應 ·", meta.group(0)), flat
    assert "全公司" in meta.group(0) and "whole_company" not in meta.group(0)
    mappings = rows(page)
    assert mappings and all(
        not re.search(r"intersect|subset|superset|equal", m[0]) for m in mappings
    )
    assert all("nist-csf-2.0" not in m[1] for m in mappings)
