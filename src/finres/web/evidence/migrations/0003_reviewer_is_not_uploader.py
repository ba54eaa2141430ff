"""Segregation of duties on evidence: nobody reviews what they uploaded.

Reviews an uploader gave their own evidence before this rule return to "awaiting review", so
that another person decides; the change is written to the audit trail like any other.
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models


def reopen_self_reviews(apps: Any, schema_editor: Any) -> None:
    from finres.web.audit.log import append

    evidence_model = apps.get_model("evidence", "Evidence")
    for evidence in evidence_model.objects.filter(reviewer=models.F("uploaded_by")):
        before = [evidence.review_state, evidence.reviewer_id]
        evidence_model.objects.filter(pk=evidence.pk).update(
            review_state="pending", reviewer=None, reviewed_at=None
        )
        append(
            "update",
            "evidence.evidence",
            evidence.pk,
            evidence.title,
            {"review_state": [before[0], "pending"], "reviewer": [before[1], None]},
            evidence.organisation_id,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0002_result_proposal_index"),
        ("audit", "0003_keyed_chain"),  # the audit trail takes the reopened reviews
        ("evidence", "0002_versions_review_links"),
        ("orgs", "0002_tokens_enrolment_invitations"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(reopen_self_reviews, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.CheckConstraint(
                condition=models.Q(("reviewer", models.F("uploaded_by")), _negated=True),
                name="evidence_reviewer_is_not_uploader",
            ),
        ),
    ]
