"""Cached figures kept under the versions of the kinds of data they read (``audit.versioned``):
a figure is computed again after a change of what it read, and only then; the versions equal
what the trail says (``rebuild_versions``)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.core.cache import cache

from finres.web.assessments.models import Result
from finres.web.audit import versioned
from finres.web.audit.context import serving
from finres.web.audit.log import rebuild_versions
from finres.web.audit.models import DataVersion
from finres.web.evidence.models import Evidence, EvidenceLink
from finres.web.improvements.models import Finding
from finres.web.orgs.models import Organisation
from finres.web.registers.models import InformationSystem

from .test_aggregates import ISO, make_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()  # the database is new for each test; the cache is not


class Counted:
    """A figure that counts how often it was computed."""

    def __init__(self, organisation: Organisation, name: str, compute: Any) -> None:
        self.organisation, self.name, self.compute, self.runs = organisation, name, compute, 0

    def __call__(self) -> Any:
        def run() -> Any:
            self.runs += 1
            return self.compute()

        return versioned.cached(self.organisation.pk, self.name, run)


def system(org: Organisation, code: str) -> InformationSystem:
    return InformationSystem.objects.create(organisation=org, code=code, name=code)


def test_statements_are_versioned_by_the_kinds_of_data_they_read() -> None:
    assert versioned.sources_of('SELECT 1 FROM "registers_informationsystem"') == {
        "registers.informationsystem"
    }
    # a maintained aggregate moves with what it counts
    assert versioned.sources_of('SELECT 1 FROM "assessments_resulttally"') == {
        "assessments.requirementresult",
        "assessments.assessment",
    }
    assert versioned.sources_of('SELECT 1 FROM "frameworks_requirement"') == {versioned.LIBRARY}
    assert versioned.sources_of('SELECT 1 FROM "audit_auditevent"') == {versioned.TRAIL}
    # a table of the project that no event records moves with every change
    assert versioned.sources_of('SELECT 1 FROM "jobs_job"') == {versioned.CHANGES}
    # nor the versions, which a figure built on another reads
    assert versioned.sources_of('SELECT 1 FROM "audit_dataversion"') == set()
    # people and sessions are not an organisation's data; column names are not tables
    assert versioned.sources_of('SELECT "auth_user"."id", "x"."result" FROM "auth_user"') == set()


def test_a_figure_is_computed_again_after_a_change_of_what_it_read_and_only_then(
    org: Organisation, other_org: Organisation
) -> None:
    systems = Counted(
        org, "systems", lambda: InformationSystem.objects.filter(organisation=org).count()
    )
    assessment = make_assessment(org, ISO, 2025, 3)
    system(org, "SYS-1")
    assert systems() == 1 and systems() == 1 and systems.runs == 1
    row = assessment.results.order_by("pk").first()
    assert row is not None
    row.result = Result.COMPLIANT
    row.save()  # another kind of data
    system(other_org, "SYS-THEIRS")  # another organisation's
    assert systems() == 1 and systems.runs == 1
    system(org, "SYS-2")
    assert systems() == 2 and systems.runs == 2
    InformationSystem.objects.get(code="SYS-1").delete()
    assert systems() == 1 and systems.runs == 3


def test_a_figure_built_on_another_cached_figure_follows_what_that_one_read(
    org: Organisation,
) -> None:
    inner = Counted(org, "inner", lambda: Finding.objects.filter(organisation=org).count())
    outer = Counted(org, "outer", lambda: {"findings": inner(), "systems": 0})
    assert inner() == 0  # kept first on its own: the outer one finds it in the cache
    assert outer() == {"findings": 0, "systems": 0} and inner.runs == 1
    Finding.objects.create(organisation=org, title="Weak TLS", severity="high")
    assert outer() == {"findings": 1, "systems": 0}
    assert outer.runs == 2
    system(org, "SYS-1")  # neither read it: the versions the inner one checked are not data
    assert outer() == {"findings": 1, "systems": 0} and outer.runs == 2


def test_data_no_event_has_changed_yet_moves_with_any_change(org: Organisation) -> None:
    """Rows written before the versions were kept (no ``DataVersion`` row for their model):
    their figures are computed again after any change of the organisation's data."""
    system(org, "SYS-1")
    DataVersion.objects.filter(model="registers.informationsystem").delete()
    systems = Counted(
        org, "systems", lambda: InformationSystem.objects.filter(organisation=org).count()
    )
    assert systems() == 1
    Finding.objects.create(organisation=org, title="Weak TLS", severity="high")
    assert systems() == 1 and systems.runs == 2


def test_a_request_reads_the_versions_once_and_again_after_it_changes_data(
    org: Organisation, rf: Any, django_assert_num_queries: Any
) -> None:
    """Within a request the versions are read once (every figure of the dashboard checks
    them); a change the request makes drops them, so that it sees its own change."""
    systems = Counted(
        org, "systems", lambda: InformationSystem.objects.filter(organisation=org).count()
    )
    findings = Counted(org, "findings", lambda: Finding.objects.filter(organisation=org).count())
    Finding.objects.create(organisation=org, title="Weak TLS", severity="high")
    system(org, "SYS-1")
    with serving(rf.get("/")):
        assert systems() == 1 and findings() == 1
        with django_assert_num_queries(0):  # both kept, their versions already read
            assert systems() == 1 and findings() == 1
        system(org, "SYS-2")
        assert systems() == 2 and findings() == 1
    assert (systems.runs, findings.runs) == (2, 1)


def test_the_maintained_versions_equal_those_read_back_from_the_trail(
    org: Organisation, other_org: Organisation
) -> None:
    """After changes of many kinds (single rows, cascades, bulk imports) in two organisations,
    rebuilding the versions from the trail gives the rows the appends maintained."""
    rng = random.Random(7)
    assessment = make_assessment(org, ISO, 2025, 5)
    make_assessment(other_org, ISO, 2025, 2)
    rows = list(assessment.results.order_by("pk"))
    evidence = Evidence.objects.create(
        organisation=org,
        title="Report",
        kind="url",
        url="https://example.org/r",
        expiry_date=dt.date(2030, 1, 1),
    )
    for _ in range(20):
        step = rng.choice(("result", "link", "finding", "system"))
        if step == "result":
            row = rng.choice(rows)
            row.result = rng.choice([Result.COMPLIANT, Result.PARTIAL, Result.NON_COMPLIANT])
            row.save()
        elif step == "link":
            EvidenceLink.objects.get_or_create(
                organisation=org, evidence=evidence, result=rng.choice(rows)
            )
        elif step == "finding":
            Finding.objects.create(
                organisation=rng.choice([org, other_org]), title="x", severity="low"
            )
        else:
            system(rng.choice([org, other_org]), f"SYS-{rng.randint(1, 10**6)}")
    evidence.delete()  # its links go with it, each recorded
    maintained = set(
        DataVersion.objects.values_list("organisation_id", "model", "sequence", "hash")
    )
    assert rebuild_versions() == len(maintained)
    assert (
        set(DataVersion.objects.values_list("organisation_id", "model", "sequence", "hash"))
        == maintained
    )
    kinds = {model for org_id, model, _s, _h in maintained if org_id == org.pk}
    assert {"assessments.requirementresult", "evidence.evidencelink", "evidence.evidence"} <= kinds


def test_a_figure_that_reads_the_library_in_memory_follows_its_content(org: Organisation) -> None:
    """The library loaded in memory is read without a statement: a figure says so
    (``depends_on``) and is computed again when a synced framework's content changes."""
    from finres.web.frameworks.models import Framework

    def titles() -> int:
        versioned.depends_on(versioned.LIBRARY)
        return 1

    figure = Counted(org, "titles", titles)
    assert figure() == 1 and figure() == 1 and figure.runs == 1
    framework = Framework.objects.order_by("pk").first()
    assert framework is not None
    Framework.objects.filter(pk=framework.pk).update(content_hash="changed")
    assert figure() == 1 and figure.runs == 2
