from typing import Any

from django.db import migrations, models


def rebuild(apps: Any, schema_editor: Any) -> None:
    from finres.web.audit.log import rebuild_versions

    rebuild_versions(apps.get_model("audit", "AuditEvent"), apps.get_model("audit", "DataVersion"))


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_audit_org_object_index")]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("organisation_id", models.BigIntegerField()),
                ("model", models.CharField(max_length=80)),
                ("sequence", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organisation_id", "model"), name="audit_dataversion_unique"
                    )
                ]
            },
        ),
        # the versions of the data already there, from the trail that recorded it
        migrations.RunPython(rebuild, migrations.RunPython.noop),
    ]
