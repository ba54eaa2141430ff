"""Schedules: what the beat asks and how often (FINRES_SCHEDULE), and what each schedule starts:
the TLS checks that are due, and SBOMs matched again once the advisory dumps changed. The beat
itself, with a real worker and broker, is in test_jobs_brokers."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from finres.web.checks import jobs as check_jobs
from finres.web.checks.models import TlsRun, TlsTarget
from finres.web.jobs import queue, registry
from finres.web.jobs.intervals import parse_schedule
from finres.web.jobs.models import Job
from finres.web.jobs.services import ask_schedule
from finres.web.sbom import advisories, services
from finres.web.sbom import jobs as sbom_jobs
from finres.web.sbom.models import Sbom

from .test_sbom import KEYCLOAK, ZEPPELIN, needs_data, system

pytestmark = pytest.mark.django_db


def test_the_setting_names_intervals_and_refuses_what_it_cannot_read() -> None:
    assert parse_schedule("") == {}
    assert parse_schedule("checks.due=1800, sbom.rematch=0") == {
        "checks.due": 1800.0,
        "sbom.rematch": 0.0,
    }
    for wrong in ("checks.due", "checks.due=soon", "=60", "checks.due=-5", "checks.due=inf"):
        with pytest.raises(ImproperlyConfigured, match="name=seconds"):
            parse_schedule(wrong)


def test_the_beat_asks_every_schedule_hourly_unless_the_site_says_otherwise(
    settings: Any, caplog: Any
) -> None:
    names = {s.name for s in registry.schedules()}
    assert {"checks.due", "sbom.rematch"} <= names
    settings.FINRES_SCHEDULE = {}
    entries = queue.beat_schedule()
    assert entries["finres:checks.due"] == {
        "task": queue.SCHEDULE_TASK_NAME,
        "schedule": 3600.0,
        "args": ("checks.due",),
    }
    assert entries["finres:sbom.rematch"]["schedule"] == 3600.0
    settings.FINRES_SCHEDULE = {"checks.due": 600, "sbom.rematch": 0, "check.due": 5}
    entries = queue.beat_schedule()
    assert entries["finres:checks.due"]["schedule"] == 600
    assert "finres:sbom.rematch" not in entries  # 0: off
    assert "check.due, which is not a schedule" in caplog.text  # a typo is told, not ignored


def due_target(organisation: Any, **fields: Any) -> TlsTarget:
    fields = {"host": "127.0.0.1", "port": 9, "schedule_days": 7, **fields}
    return TlsTarget.objects.create(organisation=organisation, **fields)


def test_the_checks_schedule_starts_one_job_per_organisation_with_due_targets(
    org: Any, other_org: Any
) -> None:
    due = due_target(org)  # never run: due
    due_target(org, port=10)
    due_target(other_org, schedule_days=None)  # checked on request only
    said = ask_schedule("checks.due")
    started = Job.objects.filter(kind=check_jobs.RUN_DUE)
    assert list(started.values_list("organisation", flat=True)) == [org.pk]  # both targets
    job = started.get()
    assert str(job.pk) in said
    assert job.state == Job.State.SUCCEEDED and job.requested_by is None
    assert sorted(job.summary()["targets"]) == sorted([due.pk, due.pk + 1])
    assert TlsRun.objects.filter(target=due).count() == 1  # port 9 answers nothing: an error run
    ask_schedule("checks.due")  # checked now: nothing is due any more
    assert started.count() == 1
    TlsRun.objects.filter(target__organisation=org).update(
        started=timezone.now() - dt.timedelta(days=8)
    )
    Job.objects.create(organisation=org, kind=check_jobs.RUN_DUE)  # queued, not yet run
    ask_schedule("checks.due")
    assert started.count() == 2  # the queued one is not doubled


@needs_data
def test_sboms_are_matched_again_once_the_advisory_dumps_changed(
    org: Any, other_org: Any, settings: Any, tmp_path: Path
) -> None:
    for organisation in (org, other_org):
        services.import_sbom(
            organisation, KEYCLOAK.read_bytes(), file_name="k.json", system=system(organisation)
        )
    rematches = Job.objects.filter(kind=sbom_jobs.REMATCH)
    assert ask_schedule("sbom.rematch") and not rematches.exists()  # no dumps named
    dump = tmp_path / "osv" / "zeppelin.json"
    dump.parent.mkdir()
    shutil.copy(ZEPPELIN, dump)
    settings.FINRES_OSV_PATHS = [str(dump.parent)]
    settings.FINRES_KEV_FILE = ""
    advisories.forget()
    Job.objects.create(organisation=other_org, kind=sbom_jobs.REMATCH)  # one is queued there
    ask_schedule("sbom.rematch")  # never matched with data: matched now
    assert list(rematches.filter(state="succeeded").values_list("organisation", flat=True)) == [
        org.pk
    ]
    assert Sbom.objects.get(organisation=org).matched_at is not None
    ask_schedule("sbom.rematch")
    assert rematches.filter(organisation=org).count() == 1  # nothing changed since
    later = (timezone.now() + dt.timedelta(minutes=5)).timestamp()
    os.utime(dump, (later, later))  # the operator's refresh replaced the dump
    assert ask_schedule("sbom.rematch")
    assert rematches.filter(organisation=org, state="succeeded").count() == 2
    assert rematches.filter(organisation=other_org, state="queued").count() == 1
    dump.write_text("{not json")  # a broken refresh: nothing started, the page says why
    os.utime(dump, (later + 60, later + 60))
    advisories.forget()
    ask_schedule("sbom.rematch")
    assert rematches.filter(organisation=org).count() == 2


def test_an_unknown_schedule_is_left_alone(caplog: Any) -> None:
    assert ask_schedule("no.such") == ""
    assert "schedule no.such is not known here" in caplog.text


def test_internet_facing_systems_without_a_scheduled_tls_check_are_named(
    org: Any, other_org: Any, ciso_client: Any
) -> None:
    """The issue asks for every internet-facing system to be checked on a schedule: the systems
    that are not are counted and named on the checks page and the dashboard."""
    from finres.web.checks import services as checks
    from finres.web.registers.models import InformationSystem

    def facing(organisation: Any, code: str, internet: bool = True) -> InformationSystem:
        return InformationSystem.objects.create(
            organisation=organisation, code=code, name=code, internet_facing=internet
        )

    web, app, inside = facing(org, "WEB"), facing(org, "APP"), facing(org, "LAN", False)
    facing(other_org, "ELSEWHERE")
    due_target(org, system=web)  # scheduled: covered
    due_target(org, system=app, port=12, schedule_days=None)  # on request only: not covered
    due_target(org, system=app, port=8443, enabled=False)  # disabled: not covered
    due_target(org, system=inside, port=10)
    due_target(org, port=11)  # no system: does not hide every system
    assert list(checks.unscheduled_internet_facing(org)) == [app]
    assert checks.dashboard_numbers(org)["unscheduled_internet_facing"] == 1
    page = ciso_client.get("/checks/").content.decode()
    assert 'data-unscheduled="1"' in page and f"/registers/systems/{app.pk}/" in page
    assert "1 個提供網際網路服務之系統尚無排程 TLS 檢測" in page
    dashboard = ciso_client.get("/").content.decode()
    assert "1 個提供網際網路服務之系統未排程檢測" in dashboard
    TlsTarget.objects.filter(system=app, port=12).update(schedule_days=30)
    assert not checks.unscheduled_internet_facing(org).exists()
    assert "data-unscheduled" not in ciso_client.get("/checks/").content.decode()
