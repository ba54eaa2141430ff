"""Job kinds of the TLS checks (discovered by the jobs app): the targets of one organisation
checked on request, and the scheduled ones that are due; the schedule that starts the latter."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from finres.web.jobs.models import Job
from finres.web.jobs.registry import JobError, Outcome, Progress, job, scheduled
from finres.web.orgs.roles import Action

RUN_TARGETS = "checks.run_targets"
RUN_DUE = "checks.run_due"


def _outcome(runs: list) -> Outcome:  # type: ignore[type-arg]
    return Outcome(
        data={
            "runs": [r.pk for r in runs],
            "targets": [r.target_id for r in runs],
            "errors": sum(r.status == "error" for r in runs),
            "failed": sum(r.failed for r in runs),
            "passed": sum(r.passed for r in runs),
        }
    )


@job(RUN_TARGETS, action=Action.EDIT, label=gettext_lazy("TLS and SSH checks"))
def run_targets(job_: Job, progress: Progress) -> Outcome:
    """``parameters["targets"]``: ids of the organisation's targets; none: all enabled ones."""
    from finres.web.checks import services
    from finres.web.checks.models import TlsTarget

    wanted = job_.parameters.get("targets")
    targets = TlsTarget.objects.filter(organisation=job_.organisation).select_related(
        "organisation", "system"
    )
    if wanted is None:
        targets = targets.filter(enabled=True)
    else:
        if not isinstance(wanted, list) or not all(isinstance(t, int) for t in wanted):
            raise JobError(_("What this job was for no longer exists."))
        targets = targets.filter(pk__in=wanted)
    found = list(targets.order_by("host", "port"))
    if not found:
        raise JobError(_("There is no endpoint to check."))
    runs = services.run_targets(
        job_.organisation,
        found,
        user=job_.requested_by,
        job=job_,
        progress=progress,
        lang="en" if job_.language == "en" else "zh-TW",
    )
    return _outcome(runs)


@job(RUN_DUE, action=Action.EDIT, label=gettext_lazy("Scheduled TLS and SSH checks"))
def run_due(job_: Job, progress: Progress) -> Outcome:
    """The organisation's scheduled targets whose last run is older than their interval."""
    from finres.web.checks import services

    found = list(
        services.due_targets()
        .filter(organisation=job_.organisation)
        .select_related("organisation", "system")
    )
    if not found:
        return Outcome(data={"runs": [], "targets": [], "errors": 0, "failed": 0, "passed": 0})
    runs = services.run_targets(
        job_.organisation,
        found,
        job=job_,
        progress=progress,
        lang="en" if job_.language == "en" else "zh-TW",
    )
    return _outcome(runs)


def enqueue_due(run_now: bool = False) -> list[Job]:
    """One "scheduled TLS checks" job per organisation with due targets, unless one is queued or
    running already (``finres check run-due``, from cron or a systemd timer). ``run_now`` runs
    them in this process too (claiming is atomic: a worker that got the message first wins)."""
    from finres.web.checks import services
    from finres.web.jobs import services as jobs

    organisations = {t.organisation for t in services.due_targets().select_related("organisation")}
    busy = jobs.busy_organisations([RUN_DUE])
    started = [
        jobs.enqueue(RUN_DUE, organisation, None, {})
        for organisation in sorted(organisations, key=lambda o: o.pk)
        if organisation.pk not in busy
    ]
    if run_now:
        for found in started:
            jobs.run(found.pk)
            found.refresh_from_db()
    return started


def summary(started: list[Job]) -> str:
    if not started:
        return _("No scheduled check is due.")
    return ngettext(
        "Scheduled checks started for %(count)d organisation: job %(jobs)s.",
        "Scheduled checks started for %(count)d organisations: jobs %(jobs)s.",
        len(started),
    ) % {"count": len(started), "jobs": ", ".join(str(j.pk) for j in started)}


@scheduled("checks.due", every=60 * 60, label=gettext_lazy("Scheduled checks that are due"))
def start_due_checks() -> str:
    """Asked hourly by the beat: each target's own interval (schedule_days) decides what runs."""
    return summary(enqueue_due())
