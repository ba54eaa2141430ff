"""Bulk operations in the audit trail (one chained event carrying every row), incremental
verification from a signed checkpoint, and verification scoped to one organisation."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from finres.web.audit import log
from finres.web.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from finres.web.audit.verification import verify_trail
from finres.web.improvements.models import Finding
from finres.web.orgs.roles import Role

from .test_audit import _remove_newest, _tamper

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    """The command line activates its language for the process: later tests get theirs back."""
    with translation.override(translation.get_language()):
        yield


def codes(report: Any) -> list[tuple[int, str]]:
    return [(b.sequence, b.code) for b in report.breaks]


def bulk_event(org: Any, count: int = 3) -> AuditEvent:
    rows = [
        log.bulk_row(100 + i, f"Row {i}", {"result": ["not_assessed", "compliant"]})
        for i in range(count)
    ]
    return log.append_bulk(
        "update",
        "assessments.requirementresult",
        org.pk,
        f"{count} results",
        rows,
        details={"file": "results.xlsx"},
    )


def tamper_changes(event: AuditEvent, changes: dict[str, Any]) -> None:
    _tamper(
        "UPDATE audit_auditevent SET changes = %s WHERE id = %s",
        [json.dumps(changes), event.pk],
    )


# --- one event for a bulk operation --------------------------------------------------------------


def test_rows_saved_inside_a_bulk_operation_are_one_event(org: Any) -> None:
    before = AuditEvent.objects.count()
    with log.bulk("update", "improvements.finding", org.pk, "Findings reviewed") as collected:
        for title in ("Open ports", "Old TLS", "No MFA"):
            Finding.objects.create(organisation=org, title=title)
        first = Finding.objects.get(title="Open ports")
        first.title = "Open ports closed"
        first.save()
        assert collected.count == 4
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("sequence").last()
    assert (event.action, event.model, event.object_id) == (
        "update",
        "improvements.finding",
        "bulk",
    )
    rows = event.changes["bulk"]["rows"]
    # A row created then changed in the same operation is one row: created, with its last title.
    assert event.changes["bulk"]["count"] == 3 == len(rows)
    assert {row.get("action") for row in rows.values()} == {"create"}
    assert rows[str(first.pk)]["changes"]["title"] == [None, "Open ports closed"]
    assert rows[str(first.pk)]["repr"] == "Open ports closed"
    assert verify_trail(full=True).breaks == []


def test_each_organisations_rows_go_to_its_own_event(org: Any, other_org: Any) -> None:
    with log.bulk("update", "improvements.finding", org.pk, "Mixed"):
        Finding.objects.create(organisation=org, title="Ours")
        Finding.objects.create(organisation=other_org, title="Theirs")
    ours, theirs = AuditEvent.objects.order_by("-sequence")[1], AuditEvent.objects.last()
    assert ours.organisation_id == org.pk and theirs.organisation_id == other_org.pk
    assert [r["repr"] for r in ours.changes["bulk"]["rows"].values()] == ["Ours"]
    assert [r["repr"] for r in theirs.changes["bulk"]["rows"].values()] == ["Theirs"]


def test_a_failed_bulk_operation_writes_nothing(org: Any) -> None:
    before = (AuditEvent.objects.count(), Finding.objects.count())
    with pytest.raises(RuntimeError), log.bulk("update", "improvements.finding", org.pk, "x"):
        Finding.objects.create(organisation=org, title="Rolled back")
        raise RuntimeError("stop")
    assert (AuditEvent.objects.count(), Finding.objects.count()) == before
    # Outside the block, rows are audited one by one again.
    Finding.objects.create(organisation=org, title="Single")
    assert AuditEvent.objects.last().object_repr == "Single"


def test_the_head_is_locked_only_when_the_bulk_event_is_appended(org: Any) -> None:
    """The rows are written first; the head moves once, at the end of the block."""
    head = AuditHead.objects.get(pk=1).sequence
    with transaction.atomic(), log.bulk("update", "improvements.finding", org.pk, "x"):
        for i in range(5):
            Finding.objects.create(organisation=org, title=f"F{i}")
        assert AuditHead.objects.get(pk=1).sequence == head
    assert AuditHead.objects.get(pk=1).sequence == head + 1


# --- integrity ----------------------------------------------------------------------------------


def test_altering_one_row_inside_a_bulk_event_breaks_the_chain(org: Any) -> None:
    event = bulk_event(org)
    assert verify_trail(full=True).breaks == []
    changes = event.changes
    changes["bulk"]["rows"]["101"]["changes"]["result"] = ["not_assessed", "non_compliant"]
    tamper_changes(event, changes)
    assert codes(verify_trail(full=True)) == [(event.sequence, "content")]


def test_removing_a_row_from_a_bulk_event_breaks_the_chain(org: Any) -> None:
    event = bulk_event(org)
    bulk_event(org)
    changes = event.changes
    del changes["bulk"]["rows"]["100"]
    tamper_changes(event, changes)
    assert codes(verify_trail(full=True)) == [(event.sequence, "content")]


def test_removing_a_bulk_event_at_the_tail_is_found(org: Any) -> None:
    bulk_event(org)
    event = bulk_event(org)
    _remove_newest(1, move_head=False)
    assert codes(verify_trail(full=True)) == [(event.sequence, "head")]


# --- incremental verification ---------------------------------------------------------------------


def test_verification_continues_from_the_checkpoint(org: Any) -> None:
    Finding.objects.create(organisation=org, title="One")
    first = verify_trail()
    assert first.breaks == [] and first.full and first.start == 1 and first.previous is None
    checkpoint = AuditCheckpoint.objects.get(scope="all")
    assert checkpoint.sequence == first.end == AuditEvent.objects.count()
    assert checkpoint.verified_by_name == "system" and checkpoint.full
    bulk_event(org)
    Finding.objects.create(organisation=org, title="Two")
    done: list[tuple[int, int]] = []
    second = verify_trail(progress=lambda d, t: done.append((d, t)))
    assert second.breaks == [] and not second.full
    assert (second.start, second.end, second.checked) == (first.end + 1, first.end + 2, 2)
    assert second.previous is not None and second.previous.sequence == first.end
    assert done == [(2, 2)]
    assert AuditCheckpoint.objects.get(scope="all").sequence == second.end


def test_a_change_before_the_checkpoint_is_found_by_the_full_verification(org: Any) -> None:
    early = bulk_event(org)
    Finding.objects.create(organisation=org, title="Later")
    assert verify_trail().breaks == []
    changes = early.changes
    changes["file"] = "other.xlsx"
    tamper_changes(early, changes)
    assert verify_trail().breaks == []  # verified already: not read again
    assert codes(verify_trail(full=True)) == [(early.sequence, "content")]


def test_a_change_to_the_checkpointed_event_is_found_cheaply(org: Any) -> None:
    last = bulk_event(org)
    assert verify_trail().breaks == []
    changes = last.changes
    changes["bulk"]["count"] = 2
    tamper_changes(last, changes)
    bulk_event(org)
    assert codes(verify_trail()) == [(last.sequence, "checkpointed")]
    _tamper("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["0" * 64, last.pk])
    assert (last.sequence, "checkpointed") in codes(verify_trail())


def test_a_change_after_the_checkpoint_is_found_incrementally(org: Any) -> None:
    bulk_event(org)
    assert verify_trail().breaks == []
    later = bulk_event(org)
    bulk_event(org)
    changes = later.changes
    changes["bulk"]["rows"]["100"]["repr"] = "Someone else"
    tamper_changes(later, changes)
    report = verify_trail()
    assert codes(report) == [(later.sequence, "content")] and not report.full
    # A verification with breaks leaves the checkpoint where it was.
    assert AuditCheckpoint.objects.get(scope="all").sequence == later.sequence - 1


def test_a_checkpoint_moved_without_the_key_is_refused(org: Any) -> None:
    bulk_event(org)
    assert verify_trail().breaks == []
    early = AuditEvent.objects.order_by("sequence").first()
    tamper_changes(early, {"x": 1})
    # Someone moves the checkpoint to skip events: without the key the signature no longer holds,
    # and the whole chain is verified instead.
    last = AuditEvent.objects.order_by("sequence").last()
    bulk_event(org)
    AuditCheckpoint.objects.filter(scope="all").update(sequence=last.sequence + 1)
    report = verify_trail()
    assert report.full
    assert codes(report) == [(last.sequence + 1, "checkpoint"), (early.sequence, "content")]


def test_the_cli_says_from_where_it_verified(org: Any, capsys: Any) -> None:
    from finres.cli import main

    bulk_event(org)
    main(["audit", "verify", "--lang", "en"])
    first = capsys.readouterr().out
    assert "intact" in first and "from the first event" in first
    bulk_event(org)
    main(["audit", "verify", "--lang", "en"])
    end = AuditEvent.objects.count()
    assert f"Verified from event {end} to {end}" in capsys.readouterr().out
    main(["audit", "verify", "--full"])
    assert "本次自第一筆驗證" in capsys.readouterr().out


# --- verification scoped to one organisation ---------------------------------------------------


def test_a_scoped_verification_checks_the_organisations_events_and_every_link(
    org: Any, other_org: Any
) -> None:
    ours = bulk_event(org)
    theirs = bulk_event(other_org)
    bulk_event(org)
    report = verify_trail(organisation_id=org.pk)
    assert report.breaks == [] and report.organisation_id == org.pk
    assert AuditCheckpoint.objects.filter(scope=f"organisation:{org.pk}").exists()
    assert not AuditCheckpoint.objects.filter(scope="all").exists()

    # Another organisation's content is not recomputed in our scope (theirs and the whole
    # chain's verifications find it) ...
    tamper_changes(theirs, {"x": 1})
    assert verify_trail(organisation_id=org.pk, full=True).breaks == []
    assert codes(verify_trail(organisation_id=other_org.pk)) == [(theirs.sequence, "content")]
    assert codes(verify_trail(full=True)) == [(theirs.sequence, "content")]
    # ... ours is,
    tamper_changes(ours, {"x": 1})
    assert codes(verify_trail(organisation_id=org.pk, full=True)) == [(ours.sequence, "content")]
    # and so is every link: removing another organisation's event breaks our chain too.
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [theirs.pk])
    found = codes(verify_trail(organisation_id=org.pk, full=True))
    assert (theirs.sequence + 1, "order") in found and (theirs.sequence + 1, "previous") in found


# --- the audit page and its export ----------------------------------------------------------------


def test_a_bulk_event_is_readable_on_the_page_and_in_the_export(client_for: Any, org: Any) -> None:
    event = bulk_event(org, count=3)
    client = client_for(Role.AUDITOR, org)
    html = client.get(reverse("audit:list")).content.decode()
    assert "3 筆" in html and "Row 2" in html and "符合" in html  # rows, in zh-TW
    assert "results.xlsx" in html
    export = client.get(reverse("audit:export"))
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    line = next(r for r in rows[1:] if r[0] == str(event.sequence))
    changes = json.loads(line[7])
    assert len([label for label in changes if label.startswith("#10")]) == 3
    assert any("Row 1" in label for label in changes)


def test_earlier_bulk_events_are_shown_row_by_row_too(org: Any) -> None:
    from finres.web.audit.present import Presenter

    event = log.append(
        "update",
        "assessments.requirementresult",
        "bulk",
        "Proposals",
        {"assessment": 7, "results": {"5": {"proposal_state": ["", "pending"]}}},
        org.pk,
    )
    with translation.override("en"):
        row = Presenter().row(event)
    assert row.is_bulk and row.count == 1 and row.items[0].object_id == "5"
    assert [c.label for c in row.details] == ["assessment"]
    assert [(c.before, c.after) for c in row.items[0].changes] == [
        ("—", "Proposed, awaiting review")
    ]
