"""The chain: keyed hashes, the stored head, anchors kept outside, the upgrade of older chains."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import os
import secrets
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from finres.web.audit.chain import GENESIS, SCHEME_HMAC, SCHEME_SHA256, Head, event_hash, verify
from finres.web.audit.keys import audit_key, load_key
from finres.web.audit.log import stored_head
from finres.web.audit.models import AuditCheckpoint, AuditEvent, AuditHead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    """The command line activates its language for the process: later tests get theirs back."""
    with translation.override(translation.get_language()):
        yield


def chain() -> list[dict]:
    return [e.as_chain_entry() for e in AuditEvent.objects.order_by("sequence")]


def test_changes_are_chained_and_verifiable(make_org) -> None:
    org = make_org(name="Chained")
    org.paid_in_capital = 1
    org.save()
    org.delete()
    events = chain()
    assert [e["action"] for e in events[-3:]] == ["create", "update", "delete"]
    assert {e["scheme"] for e in events} == {SCHEME_HMAC}
    assert verify(events, audit_key(), stored_head()) == []


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
            cursor.execute("DROP TRIGGER audit_event_no_delete")
            cursor.execute(sql, params)
            for kind in ("update", "delete"):
                cursor.execute(
                    f"CREATE TRIGGER audit_event_no_{kind} BEFORE {kind.upper()} "
                    "ON audit_auditevent "
                    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
                )
        else:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


def _remove_newest(count: int, *, move_head: bool) -> None:
    newest = list(AuditEvent.objects.order_by("-sequence")[:count])
    for event in newest:
        _tamper("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    if move_head:  # a careful attacker also sets the head back
        last = AuditEvent.objects.order_by("-sequence").first()
        AuditHead.objects.filter(pk=1).update(sequence=last.sequence, hash=last.hash)


def _rewrite(events: list[dict], scheme: str, key: bytes | None = None) -> None:
    """Recompute every hash (and the head) as an attacker without the real key would."""
    previous = GENESIS
    for entry in events:
        entry["previous_hash"], entry["scheme"] = previous, scheme
        entry["hash"] = event_hash(entry, key)
        _tamper(
            "UPDATE audit_auditevent SET previous_hash = %s, hash = %s, scheme = %s "
            "WHERE sequence = %s",
            [entry["previous_hash"], entry["hash"], scheme, entry["sequence"]],
        )
        previous = entry["hash"]
    AuditHead.objects.filter(pk=1).update(sequence=events[-1]["sequence"], hash=previous)


def test_verification_detects_tampering(make_org) -> None:
    org = make_org(name="Target")
    org.paid_in_capital = 2
    org.save()
    victim = AuditEvent.objects.order_by("sequence").last()
    _tamper("UPDATE audit_auditevent SET actor_name = %s WHERE id = %s", ["mallory", victim.pk])
    breaks = verify(chain(), audit_key(), stored_head())
    assert [b.sequence for b in breaks] == [victim.sequence]
    assert "content does not match" in breaks[0].reason


def test_removing_the_newest_events_is_found_by_the_stored_head(make_org) -> None:
    make_org(name="First")
    make_org(name="Removed")
    _remove_newest(1, move_head=False)
    breaks = verify(chain(), audit_key(), stored_head())
    assert len(breaks) == 1 and "newest events removed" in breaks[0].reason


def test_a_chain_rewritten_without_the_key_is_found(make_org) -> None:
    org = make_org(name="Rewritten")
    _tamper("UPDATE audit_auditevent SET object_repr = %s WHERE object_id = %s", ["x", str(org.pk)])
    events = chain()
    _rewrite(events, SCHEME_SHA256)  # recomputed as plain SHA-256, head moved along
    breaks = verify(chain(), audit_key(), stored_head())
    assert any("not sealed" in b.reason for b in breaks)
    _rewrite(chain(), SCHEME_HMAC, b"a guessed key")
    breaks = verify(chain(), audit_key(), stored_head())
    assert breaks and all("content does not match" in b.reason for b in breaks)


def test_an_unkeyed_event_after_keyed_ones_is_refused(make_org) -> None:
    make_org(name="Keyed")
    make_org(name="Downgrade")
    last = chain()[-1]
    last["scheme"] = SCHEME_SHA256
    last["hash"] = event_hash(last)
    _tamper(
        "UPDATE audit_auditevent SET scheme = %s, hash = %s WHERE sequence = %s",
        [SCHEME_SHA256, last["hash"], last["sequence"]],
    )
    AuditHead.objects.filter(pk=1).update(hash=last["hash"])
    reasons = [b.reason for b in verify(chain(), audit_key(), stored_head())]
    assert "unkeyed event after keyed events" in reasons


def test_an_older_unkeyed_chain_stays_verifiable_once_sealed(make_org) -> None:
    make_org(name="Legacy")
    _rewrite(chain(), SCHEME_SHA256)  # what a database from before the key holds
    assert verify(chain(), audit_key(), stored_head())  # not sealed yet
    upgrade = importlib.import_module("finres.web.audit.migrations.0003_keyed_chain")
    upgrade.seal_unkeyed_chain(django_apps, None)
    events = chain()
    assert events[-1]["action"] == "chain_keyed" and events[-1]["scheme"] == SCHEME_HMAC
    assert events[-2]["scheme"] == SCHEME_SHA256
    assert verify(events, audit_key(), stored_head()) == []
    make_org(name="After the upgrade")
    assert verify(chain(), audit_key(), stored_head()) == []
    # The seal's HMAC covers the older part: rewriting it breaks the chain.
    first = AuditEvent.objects.order_by("sequence").first()
    _tamper("UPDATE audit_auditevent SET actor_name = %s WHERE id = %s", ["mallory", first.pk])
    assert verify(chain(), audit_key(), stored_head())


def test_the_key_is_kept_outside_the_database(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("FINRES_AUDIT_KEY", raising=False)
    key = load_key(tmp_path)
    path = tmp_path / "audit_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(tmp_path) == key and len(key) == 64
    monkeypatch.setenv("FINRES_AUDIT_KEY", "from-the-environment")
    assert load_key(tmp_path) == b"from-the-environment"
    monkeypatch.delenv("FINRES_AUDIT_KEY")
    with pytest.raises(RuntimeError, match="FINRES_AUDIT_KEY"):
        load_key(tmp_path / "elsewhere", create=False)
    entry = {"sequence": 1, "timestamp": "t", "actor_id": None, "actor_name": "a"}
    entry |= {"organisation_id": None, "action": "create", "model": "m", "object_id": "1"}
    entry |= {"object_repr": "o", "changes": {}, "previous_hash": GENESIS, "scheme": SCHEME_HMAC}
    payload = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    expected = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
    assert event_hash(entry, key) == expected


def test_production_refuses_to_start_without_an_audit_key(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "finres.web.settings.production",
        "FINRES_SECRET_KEY": secrets.token_urlsafe(64),
        "FINRES_DATA_DIR": str(tmp_path),
    }
    env.pop("FINRES_AUDIT_KEY", None)
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "finres", "manage", "check"]
    refused = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert refused.returncode != 0
    assert "FINRES_AUDIT_KEY" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "audit_key").exists()  # production never makes one up
    (tmp_path / "audit_key").write_text(secrets.token_hex(32))
    started = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert started.returncode == 0, started.stderr


# --- the command line ---------------------------------------------------------------------------


def test_cli_verify_reports_tampering(make_org, capsys) -> None:
    from finres.cli import main

    make_org(name="Cli")
    make_org(name="Cli later")
    main(["audit", "verify", "--lang", "en"])
    assert "intact" in capsys.readouterr().out
    first = AuditEvent.objects.order_by("sequence").first()  # not the event verified last
    _tamper("UPDATE audit_auditevent SET changes = %s WHERE id = %s", ['{"x": 1}', first.pk])
    # Incremental by default: the first event was verified before; --full checks it again.
    main(["audit", "verify", "--lang", "en"])
    assert "intact" in capsys.readouterr().out
    with pytest.raises(SystemExit) as failed:
        main(["audit", "verify", "--full", "--lang", "en"])
    assert failed.value.code == 1
    assert "tampered" in capsys.readouterr().err


def test_cli_verify_finds_removed_newest_events(make_org, capsys) -> None:
    from finres.cli import main

    make_org(name="Kept")
    make_org(name="Gone")
    _remove_newest(2, move_head=False)
    with pytest.raises(SystemExit) as failed:
        main(["audit", "verify"])  # zh-TW by default
    assert failed.value.code == 1
    err = capsys.readouterr().err
    assert "刪除" in err and "稽核軌跡" in err
    with pytest.raises(SystemExit):
        main(["audit", "verify", "--lang", "en"])
    assert "newest events removed" in capsys.readouterr().err


def test_cli_anchor_catches_a_truncation_the_database_alone_cannot(
    make_org, capsys, tmp_path: Path
) -> None:
    from finres.cli import main

    make_org(name="Before")
    make_org(name="Anchored")
    anchor = tmp_path / "head.json"
    main(["audit", "anchor", "-o", str(anchor)])
    data = json.loads(anchor.read_text())
    assert set(data) == {"sequence", "hash", "timestamp", "signature"}
    assert data["sequence"] == stored_head().sequence
    main(["audit", "anchor"])
    assert json.loads(capsys.readouterr().out)["hash"] == data["hash"]

    make_org(name="Later")  # the chain grows after the anchor: still fine
    main(["audit", "verify", "--anchor", str(anchor), "--lang", "en"])
    assert "intact" in capsys.readouterr().out

    _remove_newest(2, move_head=True)  # the anchored event goes, the head is set back
    with pytest.raises(SystemExit):  # the event verified last went too
        main(["audit", "verify", "--lang", "en"])
    assert "rewritten or removed" in capsys.readouterr().err
    AuditCheckpoint.objects.all().delete()  # a careful attacker removes the checkpoint too
    main(["audit", "verify", "--lang", "en"])  # consistent in itself
    capsys.readouterr()
    with pytest.raises(SystemExit) as failed:
        main(["audit", "verify", "--anchor", str(anchor), "--lang", "en"])
    assert failed.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "shorter than the anchored head" in err[0]


def test_cli_refuses_a_forged_or_broken_anchor(make_org, capsys, tmp_path: Path) -> None:
    from finres.cli import main

    make_org(name="Forged")
    anchor = tmp_path / "head.json"
    main(["audit", "anchor", "-o", str(anchor)])
    data = json.loads(anchor.read_text())
    data["sequence"] -= 1
    anchor.write_text(json.dumps(data))
    with pytest.raises(SystemExit) as failed:
        main(["audit", "verify", "--anchor", str(anchor), "--lang", "en"])
    assert failed.value.code == 1
    assert "signature does not match" in capsys.readouterr().err
    anchor.write_text("not json")
    with pytest.raises(SystemExit):
        main(["audit", "verify", "--anchor", str(anchor), "--lang", "en"])
    assert "not an audit anchor" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["audit", "verify", "--anchor", str(tmp_path / "missing.json"), "--lang", "en"])
    assert "missing.json" in capsys.readouterr().err


def test_verification_needs_the_key(make_org, monkeypatch, settings, tmp_path: Path) -> None:
    make_org(name="Keyless")
    monkeypatch.delenv("FINRES_AUDIT_KEY", raising=False)
    settings.DATA_DIR = tmp_path  # no key here, and verification does not make one
    from finres.web.audit.verification import verify_trail

    report = verify_trail()
    assert not report.key_available and not (tmp_path / "audit_key").exists()
    assert report.breaks and "audit key is not available" in report.breaks[0].reason
    assert Head(0, GENESIS) != stored_head()
