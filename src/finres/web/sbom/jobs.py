"""Background jobs of the SBOM app: an upload imported and matched; every current SBOM of the
organisation matched again (after new advisories or KEV entries were loaded), started by hand or
by the schedule that notices new advisory data."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from finres.web.jobs.models import Job
from finres.web.jobs.registry import JobError, Outcome, Progress, job, scheduled
from finres.web.orgs.roles import Action
from finres.web.sbom import advisories, services

IMPORT = "sbom.import"
REMATCH = "sbom.rematch"
ACTION = Action.MANAGE  # importing and matching: as the crypto inventory's CBOM import


@job(IMPORT, action=ACTION, label=gettext_lazy("SBOM import and vulnerability matching"))
def import_and_match(job_: Job, progress: Progress) -> Outcome:
    """The stored upload imported (all or nothing), then matched; the upload is deleted."""
    from finres.web.registers.models import InformationSystem, Supplier

    parameters = job_.parameters
    stored = str(parameters.get("file", ""))
    try:
        system = InformationSystem.objects.filter(
            pk=parameters.get("system"), organisation=job_.organisation
        ).first()
        if system is None:
            raise JobError(_("What this job was for no longer exists."))
        supplier = None
        if parameters.get("supplier"):
            supplier = Supplier.objects.filter(
                pk=parameters["supplier"], organisation=job_.organisation
            ).first()
        progress(0, 2, _("Checking the SBOM against its schema"))
        try:
            with default_storage.open(stored, "rb") as upload:
                content = upload.read(services.MAX_BYTES + 1)
        except (FileNotFoundError, OSError):
            raise JobError(
                _("The uploaded file is no longer available; upload it again.")
            ) from None
        try:
            sbom = services.import_sbom(
                job_.organisation,
                content,
                file_name=str(parameters.get("name", "")) or "sbom",
                system=system,
                supplier=supplier,
                name=str(parameters.get("sbom_name", "")),
                version=str(parameters.get("sbom_version", "")),
                user=job_.requested_by,
            )
        except services.ImportRefused as error:
            raise JobError(
                _("Nothing was imported: %(problem)s") % {"problem": error}, {"error": str(error)}
            ) from None
    finally:
        if stored:
            default_storage.delete(stored)  # the hash and the components are what is kept
    progress(1, 2, _("Matching the components against the advisories"))
    data = advisories.current()
    report = services.match_sbom(sbom, data, user=job_.requested_by)
    progress(2, 2, "")
    return Outcome(
        data={"sbom": sbom.pk, "matched": data.ready, **report.data()},
    )


@job(REMATCH, action=ACTION, label=gettext_lazy("SBOMs matched again"))
def rematch(job_: Job, progress: Progress) -> Outcome:
    data = advisories.current()
    if not data.ready:
        raise JobError(_("No advisory data is loaded: see the advisory data page."))
    report = services.rematch_all(
        job_.organisation, data, user=job_.requested_by, progress=progress
    )
    return Outcome(data=report.data())


def enqueue_rematches() -> list[Job]:
    """One re-match per organisation with a current SBOM matched before the advisory dumps last
    changed (or never matched), unless one is queued or running already."""
    from django.db.models import Q

    from finres.web.jobs import services as jobs
    from finres.web.orgs.models import Organisation
    from finres.web.sbom.models import Sbom

    changed = advisories.last_changed()
    if changed is None:
        return []
    stale = Sbom.objects.filter(current=True).filter(
        Q(matched_at__isnull=True) | Q(matched_at__lt=changed)
    )
    wanted = set(stale.values_list("organisation_id", flat=True))
    wanted -= jobs.busy_organisations([REMATCH, IMPORT])
    if not wanted or not advisories.current().ready:  # unreadable dumps: the page says why
        return []
    return [
        jobs.enqueue(REMATCH, organisation, None, {})
        for organisation in Organisation.objects.filter(pk__in=wanted).order_by("pk")
    ]


@scheduled(
    "sbom.rematch", every=60 * 60, label=gettext_lazy("SBOMs matched again after new advisories")
)
def start_rematches() -> str:
    """Asked hourly by the beat: cheap (file dates and one query) unless the dumps changed."""
    started = enqueue_rematches()
    if not started:
        return _("No SBOM needs matching again.")
    return ngettext(
        "SBOMs matched again for %(count)d organisation: job %(jobs)s.",
        "SBOMs matched again for %(count)d organisations: jobs %(jobs)s.",
        len(started),
    ) % {"count": len(started), "jobs": ", ".join(str(j.pk) for j in started)}
