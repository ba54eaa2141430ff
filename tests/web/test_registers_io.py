"""Registers as XLSX and CSV: round trips, all-or-nothing imports with precise row errors,
formulas refused, formula-safe CSV, unusable files refused whole."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from finres.web.audit.models import AuditEvent
from finres.web.orgs.models import Organisation
from finres.web.orgs.roles import Role
from finres.web.registers import formats, tabular
from finres.web.registers.models import InformationSystem, Site, Supplier

pytestmark = pytest.mark.django_db

XLSX_TYPE = tabular.XLSX


@pytest.fixture(autouse=True)
def english(ciso_client: Client) -> None:
    ciso_client.post("/i18n/setlang/", {"language": "en"})


@pytest.fixture
def register(org: Organisation) -> dict[str, Any]:
    site = Site.objects.create(organisation=org, code="DC1", name="Primary", country="TW")
    abroad = Site.objects.create(
        organisation=org, code="SG1", name="=cmd|' /C calc'!A0", country="SG"
    )
    vendor = Supplier.objects.create(
        organisation=org,
        code="V1",
        name="Core vendor",
        system_access="core_systems",
        contract_clauses=["sbom", "penalties"],
    )
    system = InformationSystem.objects.create(
        organisation=org,
        code="TRADE",
        name="Trading",
        description="+orders, -cancels",
        classification="core",
        internet_facing=True,
        hosting="hybrid",
        cloud_provider="AWS",
        tags=["trading", "核心"],
    )
    system.sites.set([site, abroad])
    system.suppliers.set([vendor])
    return {"site": site, "abroad": abroad, "vendor": vendor, "system": system}


def export(client: Client, register: str, kind: str) -> bytes:
    response = client.get(f"/registers/{register}/export/?format={kind}")
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def upload(client: Client, register: str, name: str, content: bytes) -> Any:
    return client.post(
        f"/registers/{register}/import/", {"file": SimpleUploadedFile(name, content)}
    )


def snapshot(org: Organisation) -> list[tuple[Any, ...]]:
    rows = []
    for system in InformationSystem.objects.filter(organisation=org).order_by("code"):
        rows.append(
            (
                system.code,
                system.name,
                system.description,
                system.classification,
                system.internet_facing,
                system.hosting,
                tuple(system.tags),
                tuple(sorted(s.code for s in system.sites.all())),
                tuple(sorted(s.code for s in system.suppliers.all())),
            )
        )
    return rows


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_round_trip_changes_nothing(
    ciso_client: Client, org: Organisation, register: dict[str, Any], kind: str
) -> None:
    before = snapshot(org)
    content = export(ciso_client, "systems", kind)
    response = upload(ciso_client, "systems", f"systems.{kind}", content)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert snapshot(org) == before
    for name in ("suppliers", "sites"):
        content = export(ciso_client, name, kind)
        assert upload(ciso_client, name, f"{name}.{kind}", content).status_code == 302


def test_csv_export_is_formula_safe(
    ciso_client: Client, org: Organisation, register: dict[str, Any]
) -> None:
    text = export(ciso_client, "sites", "csv").decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'=cmd|' /C calc'!A0" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    text = export(ciso_client, "systems", "csv").decode("utf-8-sig")
    assert "'+orders, -cancels" in text


def test_xlsx_export_keeps_formula_like_text_as_text(
    ciso_client: Client, org: Organisation, register: dict[str, Any]
) -> None:
    book = openpyxl.load_workbook(io.BytesIO(export(ciso_client, "sites", "xlsx")))
    values = [c for row in book.active.iter_rows() for c in row]
    formula_like = [c for c in values if c.value == "=cmd|' /C calc'!A0"]
    assert formula_like and all(c.data_type == "s" for c in formula_like)


def test_an_import_creates_updates_and_is_audited(
    ciso_client: Client, org: Organisation, register: dict[str, Any]
) -> None:
    content = (
        "Code,Name,Classification,Hosting,Cloud provider,Sites,Suppliers,Tags,"
        "Provides internet services\n"
        "TRADE,Trading v2,core,hybrid,AWS,DC1,V1,trading,yes\n"
        "CRM,客戶關係管理,non_core,cloud,Azure,SG1,,crm; cloud,no\n"
    ).encode()
    response = upload(ciso_client, "systems", "systems.csv", content)
    assert response.status_code == 302, response.content.decode()[:3000]
    crm = InformationSystem.objects.get(organisation=org, code="CRM")
    assert crm.tags == ["crm", "cloud"] and [s.code for s in crm.sites.all()] == ["SG1"]
    trade = InformationSystem.objects.get(organisation=org, code="TRADE")
    assert trade.name == "Trading v2" and [s.code for s in trade.sites.all()] == ["DC1"]
    assert trade.description == "+orders, -cancels"  # a column left out keeps its value
    # One audit event for the import, carrying every created or changed entry.
    event = AuditEvent.objects.get(action="import", organisation_id=org.pk)
    assert (event.model, event.object_id) == ("registers.informationsystem", "bulk")
    assert event.changes["created"] == 1 and event.changes["updated"] == 1
    rows = event.changes["bulk"]["rows"]
    site, abroad = register["site"], register["abroad"]
    assert rows[str(trade.pk)]["changes"]["sites"] == [sorted([site.pk, abroad.pk]), [site.pk]]
    assert rows[str(crm.pk)]["action"] == "create"
    per_row = AuditEvent.objects.filter(
        sequence__gte=event.sequence, object_id__in=[str(trade.pk), str(crm.pk)]
    )
    assert not per_row.exists()


def test_headers_in_chinese_and_choices_by_label(
    ciso_client: Client, org: Organisation, register: dict[str, Any]
) -> None:
    content = "代碼,名稱,系統分級,代管方式\nNEW,新系統,核心系統,自有機房\n".encode()
    response = upload(ciso_client, "systems", "systems.csv", content)
    assert response.status_code == 302, response.content.decode()[:3000]
    new = InformationSystem.objects.get(organisation=org, code="NEW")
    assert (new.classification, new.hosting) == ("core", "on_premises")


def test_a_bad_row_imports_nothing_and_every_problem_is_named(
    ciso_client: Client, org: Organisation, register: dict[str, Any]
) -> None:
    before = snapshot(org)
    events = AuditEvent.objects.count()
    content = (
        b"Code,Name,Classification,Hosting,Sites,Reviewer,Classification last reviewed\n"
        b"OK1,Fine,core,on_premises,DC1,,\n"
        b"BAD1,Bad,essential,on_premises,DC9,nobody,2026-13-45\n"
        b"OK1,Again,core,on_premises,,,\n"
        b"CLOUD,No provider,core,cloud,,,\n"
        b",Nameless,core,on_premises,,,\n"
    )
    response = upload(ciso_client, "systems", "systems.csv", content)
    assert response.status_code == 400
    page = response.content.decode()
    for expected in (
        "“essential” is not one of: core, non_core.",
        "Unknown codes: DC9.",
        "“nobody” is not a member",
        "“2026-13-45” is not a date",
        "The code is also on row 2.",
        "Name the cloud provider.",
        "A code is required.",
    ):
        assert expected in page, expected
    report_rows = [str(n) for n in (3, 4, 5, 6)]
    assert all(f'<td class="num">{n}</td>' in page for n in report_rows)
    assert snapshot(org) == before
    assert AuditEvent.objects.count() == events


def test_formulas_are_refused(ciso_client: Client, org: Organisation) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Code", "Name"])
    sheet.append(["F1", "=1+1"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(ciso_client, "sites", "sites.xlsx", buffer.getvalue())
    assert response.status_code == 400
    assert "A formula is not accepted" in response.content.decode()
    response = upload(ciso_client, "sites", "sites.csv", b'Code,Name\nF1,=HYPERLINK("x")\n')
    assert response.status_code == 400
    assert "A formula is not accepted" in response.content.decode()
    assert not Site.objects.filter(organisation=org).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.xlsx", b"", "file is empty"),
        ("a.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old Excel file"),
        ("a.xlsx", b"PK\x03\x04garbage", "not an Excel workbook"),
        ("a.csv", "Code,Name\n".encode("utf-16"), "not UTF-8"),
        ("a.csv", b"Colour,Name\nred,x\n", "not understood: \u201cColour\u201d"),
        ("a.csv", b"Name\nx\n", "has no \u201cCode\u201d column"),
        ("a.csv", b"Code,Name\n", "no rows to import"),
    ],
)
def test_unusable_files_are_refused_whole(
    ciso_client: Client, org: Organisation, name: str, content: bytes, message: str
) -> None:
    response = upload(ciso_client, "sites", name, content)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_too_many_rows(ciso_client: Client, org: Organisation, settings: Any) -> None:
    settings.FINRES_REGISTER_MAX_ROWS = 2
    response = upload(ciso_client, "sites", "a.csv", b"Code,Name\nA,a\nB,b\nC,c\n")
    assert response.status_code == 400
    assert "more than 2 rows" in response.content.decode()


def test_only_a_manager_imports_and_export_is_recorded(
    client_for: Any, org: Organisation, register: dict[str, Any]
) -> None:
    owner = client_for(Role.CONTROL_OWNER, org)
    assert upload(owner, "sites", "a.csv", b"Code,Name\nA,a\n").status_code == 403
    assert owner.get("/registers/sites/export/?format=csv").status_code == 200
    assert AuditEvent.objects.filter(action="export", organisation_id=org.pk).exists()
    assert owner.get("/registers/planets/export/").status_code == 404


def test_supplier_import_checks_clauses_and_recomputes_the_tier(
    ciso_client: Client, org: Organisation
) -> None:
    content = (
        "Code,Name,Systems it touches,Contract clauses present\nS1,Alpha,core_systems,sbom; 罰則\n"
    ).encode()
    response = upload(ciso_client, "suppliers", "s.csv", content)
    assert response.status_code == 400
    assert "“罰則” is not a known contract clause." in response.content.decode()
    content = content.replace("罰則".encode(), "違反時之罰則".encode())
    assert upload(ciso_client, "suppliers", "s.csv", content).status_code == 302
    supplier = Supplier.objects.get(organisation=org, code="S1")
    assert supplier.tier == "critical" and supplier.contract_clauses == ["sbom", "penalties"]


def test_register_formats_cover_every_column() -> None:
    for register in formats.REGISTERS.values():
        keys = [c.key for c in register.columns]
        assert keys[0] == "code" and len(keys) == len(set(keys))
