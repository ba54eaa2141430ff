"""The board report as its readers see it: the budget on the PDF page, amounts, the security
share of the IT budget, and drafts kept from board members (pages, downloads and the API)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role
from finres.web.reports.models import BoardReport, Declaration, DocumentStatus

from .test_reports_documents import board_report, declaration

pytestmark = pytest.mark.django_db

BUDGET: dict[str, Any] = {
    "budget_planned": 42_000_000,
    "budget_spent": None,
    "it_budget": 420_000_000,
    "security_staff": "12.5",
}


def words_outside_the_page(pdf: bytes, tmp_path: Path) -> list[str]:
    """Words of the PDF drawn (partly) beyond the right edge of their page."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: make system-deps")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, timeout=60
    ).stdout.decode("utf-8")
    outside = []
    for page in re.finditer(r'<page width="([\d.]+)"[^>]*>(.*?)</page>', out, flags=re.S):
        width = float(page.group(1))
        for x_max, word in re.findall(
            r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', page.group(2)
        ):
            if float(x_max) > width:
                outside.append(word)
    return outside


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_the_budget_table_stays_on_the_pdf_page(
    ciso_client: Client, org: Organisation, tmp_path: Path, language: str
) -> None:
    report = board_report(
        org, budget_planned=123_456_789_000, budget_spent=98_765_432_100, it_budget=987_654_321_000
    )
    ciso_client.cookies["django_language"] = language
    response = ciso_client.get(reverse("reports:board_pdf", args=[report.pk]))
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    assert words_outside_the_page(pdf, tmp_path) == []
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, check=True, capture_output=True, timeout=60
    ).stdout.decode("utf-8")
    assert "123,456,789,000" in text and "987,654,321,000" in text


def test_amounts_have_thousands_separators_in_zh_tw(ciso_client: Client, org: Organisation) -> None:
    report = board_report(org, **BUDGET)
    page = ciso_client.get(reverse("reports:board_detail", args=[report.pk])).content.decode()
    assert "42,000,000" in page and "420,000,000" in page
    assert "42000000" not in page


def test_the_security_share_of_the_it_budget_is_shown_when_both_budgets_are_filled(
    ciso_client: Client, org: Organisation
) -> None:
    report = board_report(org, **BUDGET)
    page = ciso_client.get(reverse("reports:board_detail", args=[report.pk])).content.decode()
    row = re.search(r"資安占資訊預算比率</td><td class=\"num\">([^<]*)<", page)
    assert row is not None and row.group(1) == "10%"


def final(document: BoardReport | Declaration) -> None:
    if isinstance(document, BoardReport):
        signer = get_user_model().objects.create_user(username=f"signer-{document.pk}")
        BoardReport.objects.filter(pk=document.pk).update(
            status=DocumentStatus.FINAL, signed_by=signer, signed_at=timezone.now()
        )
    else:
        Declaration.objects.filter(pk=document.pk).update(
            status=DocumentStatus.FINAL, finalised_at=timezone.now()
        )


def test_a_board_member_does_not_read_drafts(client_for: Any, org: Organisation) -> None:
    draft_report, final_report = board_report(org, 2025), board_report(org, 2024)
    final(final_report)
    draft_declaration, final_declaration = declaration(org, 2025), declaration(org, 2024)
    final(final_declaration)
    board = client_for(Role.BOARD, org)
    for name in ("board_detail", "board_pdf", "board_docx"):
        assert board.get(reverse(f"reports:{name}", args=[draft_report.pk])).status_code == 404
        assert board.get(reverse(f"reports:{name}", args=[final_report.pk])).status_code == 200
    for name in ("declaration_detail", "declaration_pdf", "declaration_docx"):
        url = reverse(f"reports:{name}", args=[draft_declaration.pk])
        assert board.get(url).status_code == 404
        url = reverse(f"reports:{name}", args=[final_declaration.pk])
        assert board.get(url).status_code == 200
    index = board.get(reverse("reports:index")).content.decode()
    assert reverse("reports:board_detail", args=[draft_report.pk]) not in index
    assert reverse("reports:board_detail", args=[final_report.pk]) in index
    assert reverse("reports:declaration_detail", args=[draft_declaration.pk]) not in index
    listed = board.get("/api/board-reports/").json()["results"]
    assert [r["id"] for r in listed] == [final_report.pk]
    assert board.get(f"/api/board-reports/{draft_report.pk}/").status_code == 404
    assert board.get(f"/api/board-reports/{draft_report.pk}/data/").status_code == 404
    listed = board.get("/api/declarations/").json()["results"]
    assert [d["id"] for d in listed] == [final_declaration.pk]
    # Those who prepare and check the report still read the draft.
    for role in (Role.CISO, Role.AUDITOR, Role.CONTROL_OWNER):
        reader = client_for(role, org)
        url = reverse("reports:board_detail", args=[draft_report.pk])
        assert reader.get(url).status_code == 200
