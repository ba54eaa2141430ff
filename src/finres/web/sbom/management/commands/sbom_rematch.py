"""``finres manage sbom_rematch [--now]``: every organisation's current SBOMs matched again,
after the advisory dumps were refreshed (for cron or a systemd timer; docs/sbom-web.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from finres.web.audit.context import Actor, acting_as
from finres.web.jobs import services as job_services
from finres.web.orgs.models import Organisation
from finres.web.sbom import advisories, jobs, services
from finres.web.sbom.models import Sbom


class Command(BaseCommand):
    help = (
        "Match every organisation's current SBOMs again against the advisory data "
        "(one background job per organisation)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="Match in this process instead of a worker."
        )

    def handle(self, *args: Any, now: bool = False, **options: Any) -> None:
        data = advisories.current()
        if not data.ready:
            problems = "; ".join(data.errors) or "set FINRES_OSV_PATHS (docs/sbom-web.md)"
            raise CommandError(f"No advisory data is loaded: {problems}")
        with_sboms = Sbom.objects.filter(current=True).values("organisation")
        for organisation in Organisation.objects.filter(pk__in=with_sboms).order_by("pk"):
            if now:
                with acting_as(Actor(None, "finres manage sbom_rematch")):
                    report = services.rematch_all(organisation, data)
                self.stdout.write(
                    f"{organisation.name}: {report.sboms} SBOMs, "
                    f"{len(report.new_findings)} new findings"
                )
            else:
                job = job_services.enqueue(jobs.REMATCH, organisation, None, {})
                self.stdout.write(f"{organisation.name}: job {job.pk}")
