"""Key the audit chain (HMAC-SHA256 with the audit key) and make room for security events.

Existing events keep their plain SHA-256 hashes (``scheme = "sha256"``: nothing in the trail is
rewritten). If there are any, one keyed ``chain_keyed`` event is appended after them: its HMAC
covers the last unkeyed hash, so the older part of the chain can no longer be rewritten without
the key either (verification refuses unkeyed events that no keyed event follows).

On SQLite, adding the column rebuilds the table, which drops its triggers; they are created
again here.
"""

import datetime as dt

from django.db import migrations, models

from finres.web.audit.chain import GENESIS, SCHEME_HMAC, event_hash

SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;""",
]


def restore_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


def seal_unkeyed_chain(apps, schema_editor):
    event_model = apps.get_model("audit", "AuditEvent")
    head_model = apps.get_model("audit", "AuditHead")
    last = event_model.objects.order_by("-sequence").first()
    if last is None or last.scheme == SCHEME_HMAC:
        return
    from finres.web.audit.keys import audit_key

    key = audit_key()
    count = event_model.objects.count()
    entry = {
        "sequence": last.sequence + 1,
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": None,
        "actor_name": "system",
        "organisation_id": None,
        "action": "chain_keyed",
        "model": "audit.auditevent",
        "object_id": str(last.sequence),
        "object_repr": f"{count} unkeyed events",
        "changes": {"unkeyed_events": count, "last_unkeyed_hash": last.hash},
        "previous_hash": last.hash,
        "scheme": SCHEME_HMAC,
    }
    entry["hash"] = event_hash(entry, key)
    event_model.objects.create(**entry)
    head, _ = head_model.objects.get_or_create(pk=1, defaults={"sequence": 0, "hash": GENESIS})
    head.sequence, head.hash = entry["sequence"], entry["hash"]
    head.save(update_fields=["sequence", "hash"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="scheme",
            field=models.CharField(default="sha256", max_length=20),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(max_length=40, verbose_name="action"),
        ),
        migrations.RunPython(restore_triggers, migrations.RunPython.noop),
        migrations.RunPython(seal_unkeyed_chain, migrations.RunPython.noop),
    ]
