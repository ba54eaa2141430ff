"""The XLSX import at size: a query count that does not grow with the rows, one audit event for
all of them, the checking done outside the write transaction, and (on PostgreSQL) an ordinary
write that completes while a large import is being written."""

from __future__ import annotations

import datetime as dt
import io
import threading
from typing import Any

import openpyxl
import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from finres.web.assessments.models import Assessment, RequirementResult, Result
from finres.web.audit.models import AuditEvent
from finres.web.audit.verification import verify_trail
from finres.web.evidence import xlsx, xlsx_import
from finres.web.frameworks.models import Framework, Requirement
from finres.web.improvements.models import Finding

COLUMN = {c.key: index for index, c in enumerate(xlsx.COLUMNS, start=1)}


def make_large(organisation: Any, rows: int, code: str) -> Assessment:
    framework = Framework.objects.create(
        code=code,
        name_en=f"Speed {rows}",
        name_zh=f"速度 {rows}",
        version="1",
        kind="standard",
        binding=False,
        source_language="en",
        published=dt.date(2026, 1, 1),
        content_hash="0" * 64,
    )
    Requirement.objects.bulk_create(
        Requirement(
            framework=framework,
            code=f"R{i:05d}",
            ref=f"{i}",
            position=i,
            title_en=f"Requirement {i}",
            assessable=True,
        )
        for i in range(rows)
    )
    assessment = Assessment.objects.create(
        organisation=organisation,
        framework=framework,
        name=f"Speed {rows}",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    RequirementResult.objects.bulk_create(
        RequirementResult(organisation=organisation, assessment=assessment, requirement=r)
        for r in Requirement.objects.filter(framework=framework).order_by("position")
    )
    return assessment


def changed_workbook(assessment: Assessment) -> bytes:
    """The assessment's export with every row's result, level and comments changed."""
    with translation.override("en"):
        book = openpyxl.load_workbook(io.BytesIO(xlsx.export_assessment(assessment)))
    sheet = book.worksheets[0]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=COLUMN["result"]).value = "Partially compliant"
        sheet.cell(row=row, column=COLUMN["maturity_level"]).value = 2
        sheet.cell(row=row, column=COLUMN["comments"]).value = f"Checked {row} · 已檢查"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run_import(assessment: Assessment, data: bytes, **kwargs: Any) -> Any:
    with translation.override("en"):
        return xlsx.import_results(assessment, io.BytesIO(data), file_name="big.xlsx", **kwargs)


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_rows(make_org: Any) -> None:
    counts = {}
    for rows in (50, 2000):
        # One organisation each: the other's assessment would be a target of proposals.
        assessment = make_large(make_org(), rows, f"speed-{rows}")
        data = changed_workbook(assessment)
        events = AuditEvent.objects.count()
        with CaptureQueriesContext(connection) as queries:
            report = run_import(assessment, data)
        assert report.ok, report.errors[:3]
        assert report.applied and report.rows == rows and report.changed == rows
        counts[rows] = len(queries)
        # Every row written, with the audit event of the import as the only new event.
        results = RequirementResult.objects.filter(assessment=assessment)
        assert results.filter(result=Result.PARTIAL, maturity_level=2).count() == rows
        last = results.select_related("requirement").order_by("-requirement__position").first()
        assert last is not None and last.comments == f"Checked {rows + 1} · 已檢查"
        assert AuditEvent.objects.count() == events + 1
        event = AuditEvent.objects.order_by("-sequence").first()
        assert event is not None and event.action == "import"
        assert event.changes["bulk"]["count"] == rows == len(event.changes["bulk"]["rows"])
    assert counts[50] == counts[2000], (counts, [q["sql"][:80] for q in queries.captured_queries])
    assert counts[50] <= 25, counts
    assert verify_trail(full=True).breaks == []


@pytest.mark.django_db
def test_rows_are_read_and_checked_outside_the_write_transaction(org: Any) -> None:
    """On SQLite a write transaction locks the whole database: it must not last the parsing."""
    assessment = make_large(org, 1200, "speed-outside")
    data = changed_workbook(assessment)
    depth_before = len(connection.atomic_blocks)
    seen: list[tuple[int, int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total, len(connection.atomic_blocks)))

    report = run_import(assessment, data, progress=progress)
    assert report.ok and report.changed == 1200
    assert [done for done, _total, _depth in seen] == [500, 1000, 1200]
    assert all(total == 1200 for _done, total, _depth in seen)
    assert all(depth == depth_before for _done, _total, depth in seen)


@pytest.mark.django_db
def test_a_row_made_invalid_meanwhile_stops_the_whole_import(org: Any, monkeypatch: Any) -> None:
    """The values checked are applied to the rows as re-read (locked) at write time."""
    assessment = make_large(org, 5, "speed-meanwhile")
    first = assessment.results.order_by("requirement__position").first()
    with translation.override("en"):
        book = openpyxl.load_workbook(io.BytesIO(xlsx.export_assessment(assessment)))
    sheet = book.worksheets[0]
    sheet.delete_cols(COLUMN["result"])  # the file leaves results alone; it clears the reason
    sheet.cell(row=2, column=COLUMN["comments"] - 1).value = "changed"
    buffer = io.BytesIO()
    book.save(buffer)
    checked = xlsx_import.validate_rows

    def validate_then_change(*args: Any, **kwargs: Any) -> Any:
        planned = checked(*args, **kwargs)
        # Someone marks the first row not applicable while the file is being checked.
        RequirementResult.objects.filter(pk=first.pk).update(
            result=Result.NOT_APPLICABLE, not_applicable_reason="Outsourced."
        )
        return planned

    monkeypatch.setattr(xlsx_import, "validate_rows", validate_then_change)
    events = AuditEvent.objects.count()
    report = run_import(assessment, buffer.getvalue())
    assert not report.ok and not report.applied
    assert [(e.row, e.message) for e in report.errors] == [
        (2, "“Not applicable” needs a reason it does not apply.")
    ]
    first.refresh_from_db()
    assert first.comments == "" and first.not_applicable_reason == "Outsourced."
    assert AuditEvent.objects.count() == events


# --- other writers are not blocked (PostgreSQL: row locks and the audit head) -------------------


@pytest.fixture
def restored_after_flush(django_db_blocker: Any) -> Any:
    """A transactional test flushes every table when it ends: the audit trail's append-only
    trigger is lifted for the flush (see ``flushable``), then put back, and the library (loaded
    once per session) is loaded again for the tests that follow."""
    yield
    from finres.core.library import load_library
    from finres.web.frameworks.sync import sync_library

    with django_db_blocker.unblock():
        _triggers("forwards")
        sync_library(load_library())


@pytest.fixture
def flushable() -> Any:
    yield
    _triggers("backwards")


def _triggers(direction: str) -> None:
    import importlib

    module = importlib.import_module("finres.web.audit.migrations.0002_append_only")

    class Executor:
        def __init__(self) -> None:
            self.connection = connection

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    if direction == "forwards":
        module.backwards(None, Executor())  # DROP ... IF EXISTS first
    getattr(module, direction)(None, Executor())


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has one writer at a time by design"
)
def test_an_ordinary_write_completes_while_a_large_import_is_written(
    restored_after_flush: None, transactional_db: None, flushable: None, make_org: Any
) -> None:
    organisation = make_org(name="Concurrent")
    finding = Finding.objects.create(organisation=organisation, title="Open ports")
    assessment = make_large(organisation, 3000, "speed-concurrent")
    data = changed_workbook(assessment)
    outcome: dict[str, Any] = {}
    refresh = xlsx_import.refresh_assessment_aggregates

    def edit_finding() -> None:
        try:
            found = Finding.objects.get(pk=finding.pk)
            found.title = "Open ports closed"
            found.save()  # audited: needs the audit chain's head too
            outcome["edited"] = True
        finally:
            connections.close_all()

    def during_the_write(ids: Any) -> None:
        # The import's rows are written, its transaction is open: another person saves.
        refresh(ids)
        other = threading.Thread(target=edit_finding)
        other.start()
        other.join(timeout=20)
        outcome["blocked"] = other.is_alive()

    xlsx_import.refresh_assessment_aggregates = during_the_write  # type: ignore[assignment]
    try:
        report = run_import(assessment, data)
    finally:
        xlsx_import.refresh_assessment_aggregates = refresh  # type: ignore[assignment]
    assert report.ok and report.changed == 3000
    assert outcome == {"edited": True, "blocked": False}
    finding.refresh_from_db()
    assert finding.title == "Open ports closed"
    # The finding's event was appended before the import's, and the chain holds.
    actions = list(AuditEvent.objects.order_by("-sequence").values_list("action", flat=True)[:2])
    assert actions == ["import", "update"]
    assert verify_trail(full=True).breaks == []
