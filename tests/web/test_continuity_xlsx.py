"""The dependency graph as a workbook: the export imports back to the same graph, a workbook
written by hand in Chinese imports for the same analysis as its YAML, and every problem is
named with nothing written."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from finres.core.resilience import analyse, analysis_data, build_graph
from finres.web.continuity import graph, graph_xlsx, graphio
from finres.web.continuity.models import Node
from finres.web.orgs.models import Organisation

from .test_continuity import EXAMPLE, import_text

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_bytes(organisation: Organisation, content: bytes, name: str = "graph.xlsx") -> Any:
    return graphio.import_graph(organisation, io.BytesIO(content), name, len(content))


def test_the_export_imports_back_to_the_same_graph(org: Organisation, make_org: Any) -> None:
    assert import_text(org, EXAMPLE).ok
    with translation.override("en"):
        content = graph_xlsx.export_xlsx(org)
    sheets = openpyxl.load_workbook(io.BytesIO(content)).sheetnames
    assert sheets == ["Nodes", "Scenarios"]
    other = make_org(name="Copy")
    with translation.override("zh-hant"):  # English headers read by a Chinese user
        report = import_bytes(other, content)
    assert report.ok, report.problems
    assert graph.graph_data(other) == graph.graph_data(org)


def test_a_workbook_written_in_chinese_gives_the_yaml_analysis(org: Organisation) -> None:
    content = workbook(
        {
            "節點": [
                ["代碼", "類型", "RTO", "RPO", "依賴（皆須）", "依賴其一（群組）", "切換時間",
                 "復原時間", "復原點", "標籤"],
                ["svc", "服務", "2h", "30m", "app", None, None, None, None, None],
                ["app", "資訊系統", None, None, "db", "dc1、dc2", "20m", "1h", "15m", None],
                ["db", "data_store", None, None, None, None, None, "3h", "1h", None],
                ["dc1", "場域", None, None, None, None, None, "1d", None, "north"],
                ["dc2", "場域", None, None, None, None, None, "2d", None, "north"],
            ],
            "情境": [
                ["代碼", "失效節點", "失效標籤"],
                ["both-sites", None, "north"],
                ["one-site", "dc1", None],
            ],
        }
    )  # fmt: skip
    report = import_bytes(org, content)
    assert report.ok, report.problems
    mine = build_graph(graph.graph_data(org))
    expected = build_graph(yaml.safe_load(EXAMPLE))
    for scenario in (None, "both-sites", "one-site"):
        assert analysis_data(analyse(mine, scenario)) == analysis_data(analyse(expected, scenario))


@pytest.mark.parametrize(
    "sheets,place,says",
    [
        ({"Nodes": [["ID", "Colour"], ["a", "red"]]}, "Nodes", "Colour"),
        ({"Sheet1": [["ID"], ["a"]]}, "", "Nodes"),
        ({"Nodes": [["Kind"], ["service"]]}, "Nodes", "ID"),
        ({"Nodes": [["ID", "Kind", "Requires (all)"], ["a", "service", "ghost"]]}, "a", "ghost"),
        ({"Nodes": [["ID", "Kind", "RTO"], ["a", "service", 4]]}, "a", "4"),
        ({"Nodes": [["ID", "Kind"], ["a", "dragon"]]}, "a", "dragon"),
        ({"Nodes": [["ID", "Kind"], ["a", "=1+1"]]}, "", "B2"),
    ],
)
def test_problems_are_named_and_nothing_is_written(
    org: Organisation, sheets: dict[str, Any], place: str, says: str
) -> None:
    assert import_text(org, EXAMPLE).ok
    before = graph.graph_data(org)
    with translation.override("en"):
        report = import_bytes(org, workbook(sheets))
    assert not report.ok
    assert any(p == place and says in m for p, m in report.problems), report.problems
    assert graph.graph_data(org) == before


def test_a_file_that_is_not_a_workbook_is_refused(org: Organisation) -> None:
    with translation.override("en"):
        report = import_bytes(org, b"nodes: []\n", "graph.xlsx")
    assert report.problems == [("", "The file is not an Excel workbook (XLSX).")]
    assert not Node.objects.filter(organisation=org).exists()


def test_pages_and_api_export_and_import_the_workbook(
    org: Organisation, ciso_client: Client
) -> None:
    assert import_text(org, EXAMPLE).ok
    response = ciso_client.get("/continuity/graph/export/?format=xlsx")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    content = response.content
    assert openpyxl.load_workbook(io.BytesIO(content)).sheetnames == ["節點", "情境"]
    Node.objects.filter(organisation=org, code="dc2").delete()
    page = ciso_client.post(
        "/continuity/graph/import/", {"file": SimpleUploadedFile("g.xlsx", content, XLSX)}
    )
    assert page.status_code == 302
    assert Node.objects.filter(organisation=org, code="dc2").exists()
    api = ciso_client.post(
        "/api/continuity-graph/import/",
        {"file": SimpleUploadedFile("g.xlsx", content, XLSX)},
    )
    assert api.status_code == 200 and api.json()["applied"] is True
