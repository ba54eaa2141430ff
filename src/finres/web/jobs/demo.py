"""Demo: the securities firm's auditor has asked for a verification of the audit trail, so
that the job pages, the notification and the bell have something to show. The job really
runs (at once in tests, in the embedded worker beside ``finres serve --demo``)."""

from __future__ import annotations

from typing import Any

from finres.web.jobs import kinds, services
from finres.web.jobs.models import Job


def load(context: Any) -> None:
    securities = context.organisations.get("securities")
    auditor = context.users.get("demo-auditor")
    if securities is None or auditor is None:
        return
    if Job.objects.filter(organisation=securities, kind=kinds.AUDIT_VERIFY).exists():
        return
    services.enqueue(kinds.AUDIT_VERIFY, securities, auditor)
