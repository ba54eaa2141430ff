from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("checks", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="tlsrun",
            options={
                "ordering": ["-started", "-pk"],
                "verbose_name": "check run",
                "verbose_name_plural": "check runs",
            },
        ),
        migrations.AlterModelOptions(
            name="tlstarget",
            options={
                "ordering": ["host", "port"],
                "verbose_name": "check target",
                "verbose_name_plural": "check targets",
            },
        ),
        migrations.AddField(
            model_name="tlsrun",
            name="not_recommended",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="tlsrun",
            name="protocol",
            field=models.CharField(
                choices=[("tls", "TLS"), ("ssh", "SSH")],
                default="tls",
                max_length=8,
                verbose_name="protocol",
            ),
        ),
        migrations.AddField(
            model_name="tlstarget",
            name="protocol",
            field=models.CharField(
                choices=[("tls", "TLS"), ("ssh", "SSH")],
                default="tls",
                help_text=(
                    "TLS: judged against art. 34 and 36; SSH: audited for the crypto inventory."
                ),
                max_length=8,
                verbose_name="protocol",
            ),
        ),
        migrations.AlterField(
            model_name="tlstarget",
            name="server_name",
            field=models.CharField(
                blank=True,
                help_text="TLS only: the name the certificate is checked against; empty: the host.",
                max_length=253,
                verbose_name="server name (SNI)",
            ),
        ),
    ]
