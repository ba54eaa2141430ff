from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from finres.web.audit.chain import verify
from finres.web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def chain() -> list[dict]:
    return [e.as_chain_entry() for e in AuditEvent.objects.order_by("sequence")]


def test_changes_are_chained_and_verifiable(make_org) -> None:
    org = make_org(name="Chained")
    org.paid_in_capital = 1
    org.save()
    org.delete()
    events = chain()
    assert [e["action"] for e in events[-3:]] == ["create", "update", "delete"]
    assert verify(events) == []


def test_the_database_refuses_updates_and_deletes(make_org) -> None:
    make_org(name="Immutable")
    event = AuditEvent.objects.last()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_name="someone else")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


def _tamper(sql: str, params: list) -> None:
    """Bypass the append-only triggers the way an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute(sql, params)
            cursor.execute(
                "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent "
                "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
            )
        else:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


def test_verification_detects_tampering(make_org) -> None:
    org = make_org(name="Target")
    org.paid_in_capital = 2
    org.save()
    victim = AuditEvent.objects.order_by("sequence").last()
    _tamper("UPDATE audit_auditevent SET actor_name = %s WHERE id = %s", ["mallory", victim.pk])
    breaks = verify(chain())
    assert [b.sequence for b in breaks] == [victim.sequence]
    assert "content does not match" in breaks[0].reason


def test_cli_verify_reports_tampering(make_org, capsys) -> None:
    from finres.cli import main

    make_org(name="Cli")
    main(["audit", "verify", "--lang", "en"])
    assert "intact" in capsys.readouterr().out
    first = AuditEvent.objects.order_by("sequence").first()
    _tamper("UPDATE audit_auditevent SET changes = %s WHERE id = %s", ['{"x": 1}', first.pk])
    with pytest.raises(SystemExit) as failed:
        main(["audit", "verify", "--lang", "en"])
    assert failed.value.code == 1
    assert "tampered" in capsys.readouterr().err
