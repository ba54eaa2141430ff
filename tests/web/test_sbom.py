"""SBOM pages and matching: real CycloneDX and SPDX files imported, malformed ones refused with
nothing written, matching against real OSV advisories and the CISA KEV catalogue raising
findings with due dates, re-matching idempotent and raising only what is new, the threshold,
KEV always, the diff of a re-import, isolation and roles."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from finres.core import remediation
from finres.web.improvements.models import Finding
from finres.web.orgs.roles import Role
from finres.web.registers.models import InformationSystem, Supplier
from finres.web.sbom import advisories, services
from finres.web.sbom.models import Component, Sbom, SbomSettings, VulnerabilityMatch

from ..conftest import SHARED

pytestmark = pytest.mark.django_db

DATA = SHARED / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="the shared data folder is not here")
KEYCLOAK = DATA / "sbom/cyclonedx/bom-examples/SBOM/keycloak-10.0.2/bom.json"
DROPWIZARD_XML = DATA / "sbom/cyclonedx/bom-examples/SBOM/dropwizard-1.3.15/bom.xml"
SPDX = DATA / "sbom/osv-scanner-fixtures/only-unimportant.spdx.json"
BROKEN = DATA / "sbom/osv-scanner-fixtures/alpine-zlib-16.cdx.json"  # breaks its own schema
MAVEN = DATA / "osv/maven-osv-scalibr-guidedremediation"
ZEPPELIN = MAVEN / "zeppelin-server/vulnerabilities.json"
CLASSIFIER = MAVEN / "maven-classifier/vulnerabilities.json"
KEV = DATA / "kev/known_exploited_vulnerabilities.json"


@pytest.fixture(autouse=True)
def no_advisories(settings: Any) -> Any:
    settings.FINRES_OSV_PATHS = []
    settings.FINRES_KEV_FILE = ""
    advisories.forget()
    yield settings
    advisories.forget()


def use_advisories(settings: Any, *osv: Path, kev: Path | None = KEV) -> None:
    settings.FINRES_OSV_PATHS = [str(p) for p in osv]
    settings.FINRES_KEV_FILE = str(kev) if kev else ""


def system(organisation: Any, code: str = "SYS-IAM") -> InformationSystem:
    return InformationSystem.objects.create(organisation=organisation, code=code, name=code)


def upload(client: Client, path: Path, system_: Any, **extra: Any) -> Any:
    return client.post(
        "/sbom/import/",
        {"file": SimpleUploadedFile(path.name, path.read_bytes()), "system": system_.pk, **extra},
    )


def findings(org: Any) -> Any:
    return Finding.objects.filter(organisation=org, source_reference__startswith="sbom:")


@needs_data
def test_a_third_party_sbom_shows_its_kev_listed_vulnerabilities_as_findings(
    ciso_client: Client, org: Any, settings: Any
) -> None:
    use_advisories(settings, ZEPPELIN, CLASSIFIER)
    iam = system(org)
    vendor = Supplier.objects.create(organisation=org, code="SUP-IAM", name="IAM vendor")
    response = upload(ciso_client, KEYCLOAK, iam, supplier=vendor.pk)
    assert response.status_code == 302, response.content.decode()[:2000]
    sbom = Sbom.objects.get(organisation=org)
    assert (sbom.format, sbom.spec_version, sbom.component_count) == ("CycloneDX", "1.2", 903)
    assert sbom.supplier == vendor and sbom.kev_count >= 1 and sbom.matched_at is not None
    ghostcat = VulnerabilityMatch.objects.filter(
        component__sbom=sbom,
        component__name="tomcat-embed-core",
        advisory_id="GHSA-c9hw-wf7x-jp9j",
    ).first()
    assert ghostcat is not None
    assert ghostcat.kev and ghostcat.severity == "critical" and "8.5.51" in ghostcat.fixed
    assert "8.5.34" in ghostcat.why_en and "8.5.34" in ghostcat.why_zh
    finding = ghostcat.finding
    assert finding is not None and finding.source == Finding.Source.CHECK
    assert finding.severity == "critical" and finding.requirement is not None
    assert finding.requirement.code == "m-8.vulnerability-management"
    assert finding.due_date == remediation.due_date(
        "critical", timezone.localdate(finding.created), known_exploited=True
    )
    for text in ("SYS-IAM", "SUP-IAM", "tomcat-embed-core", "8.5.34", "CVE-2020-1938", "8.5.51"):
        assert text in finding.description
    page = ciso_client.get(f"/sbom/{sbom.pk}/").content.decode()
    assert "GHSA-c9hw-wf7x-jp9j" in page and "已知遭利用" in page
    first_card = page.split('data-component="')[1]
    assert "tomcat" in first_card.split("</article>")[0]  # KEV-listed components first
    listing = ciso_client.get("/sbom/").content.decode()
    assert (
        "keycloak-parent 10.0.2" in listing
    )  # named after the software it describes and f'data-sbom="{sbom.pk}"' in listing


@needs_data
def test_spdx_and_cyclonedx_xml_are_imported(ciso_client: Client, org: Any) -> None:
    iam = system(org)
    assert upload(ciso_client, SPDX, iam).status_code == 302
    assert upload(ciso_client, DROPWIZARD_XML, iam, name="dropwizard").status_code == 302
    formats = sorted(Sbom.objects.filter(organisation=org).values_list("format", "component_count"))
    assert formats == [("CycloneDX", 167), ("SPDX", 1)]
    # not matched without advisory data, and the page says so
    sbom = Sbom.objects.get(organisation=org, format="SPDX")
    assert sbom.matched_at is None
    assert "尚未比對" in ciso_client.get(f"/sbom/{sbom.pk}/").content.decode()


@needs_data
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "metadata.component.type"),  # a real SBOM that breaks its schema
        (b"not an sbom at all", "not an SBOM"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"name": 1}]}', ""),
    ],
)
def test_a_malformed_file_is_refused_and_nothing_is_written(
    ciso_client: Client, org: Any, content: bytes | None, expected: str
) -> None:
    iam = system(org)
    raw = BROKEN.read_bytes() if content is None else content
    response = ciso_client.post(
        "/sbom/import/", {"file": SimpleUploadedFile("bad.json", raw), "system": iam.pk}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "bad.json" in text and expected in text and "data-import-errors" in text
    assert not Sbom.objects.exists() and not Component.objects.exists()


@needs_data
def test_rematch_is_idempotent_and_raises_only_new_findings(
    client_for: Any, org: Any, settings: Any
) -> None:
    client = client_for(Role.CISO, org)
    use_advisories(settings, ZEPPELIN)
    assert upload(client, KEYCLOAK, system(org)).status_code == 302
    before = set(findings(org).values_list("pk", flat=True))
    assert before
    use_advisories(settings, ZEPPELIN, CLASSIFIER)  # new advisories arrive
    assert client.post("/sbom/rematch/").status_code == 302
    after = set(findings(org).values_list("pk", flat=True))
    assert after > before
    job = org_jobs(org).latest("pk")
    assert job.summary()["new_findings"] == len(after - before)
    matches = VulnerabilityMatch.objects.count()
    client.post("/sbom/rematch/")
    assert set(findings(org).values_list("pk", flat=True)) == after
    assert org_jobs(org).latest("pk").summary()["new_findings"] == 0
    assert VulnerabilityMatch.objects.count() == matches
    # a closed finding is not raised again by a later run
    closed = findings(org).first()
    Finding.objects.filter(pk=closed.pk).update(status="closed", closed_at=closed.created)
    client.post("/sbom/rematch/")
    assert findings(org).count() == len(after)


def org_jobs(org: Any) -> Any:
    from finres.web.jobs.models import Job

    return Job.objects.filter(organisation=org, kind="sbom.rematch")


@needs_data
def test_threshold_is_respected_and_kev_always_becomes_a_finding(
    client_for: Any, org: Any, settings: Any
) -> None:
    client = client_for(Role.ADMINISTRATOR, org)
    response = client.post("/sbom/settings/", {"finding_threshold": "critical"})
    assert response.status_code == 302
    assert SbomSettings.objects.get(organisation=org).finding_threshold == "critical"
    use_advisories(settings, ZEPPELIN)
    assert upload(client, KEYCLOAK, system(org)).status_code == 302
    raised = VulnerabilityMatch.objects.exclude(finding=None)
    assert raised.exists()
    assert all(m.kev or m.severity == "critical" for m in raised)
    # HTTP/2 rapid reset (CVE-2023-44487) is KEV-listed with a medium CVSS: a finding anyway
    rapid_reset = raised.filter(advisory_id="GHSA-qppj-fm5r-hxr3").first()
    assert rapid_reset is not None and rapid_reset.kev and rapid_reset.severity == "medium"
    assert rapid_reset.finding.severity == "high"
    assert (
        not VulnerabilityMatch.objects.filter(severity="high", kev=False)
        .exclude(finding=None)
        .exists()
    )
    assert VulnerabilityMatch.objects.filter(severity="high", finding=None).exists()


@needs_data
def test_a_new_version_shows_what_changed_and_what_is_no_longer_matched(
    ciso_client: Client, org: Any, settings: Any, tmp_path: Path
) -> None:
    use_advisories(settings, ZEPPELIN)
    iam = system(org)
    assert upload(ciso_client, KEYCLOAK, iam).status_code == 302
    first = Sbom.objects.get(organisation=org)
    text = KEYCLOAK.read_text()
    upgraded = text.replace("tomcat-embed-core@8.5.34", "tomcat-embed-core@9.0.99").replace(
        '"version": "8.5.34"', '"version": "9.0.99"'
    )
    newer = tmp_path / "bom.json"
    newer.write_text(upgraded)
    assert upload(ciso_client, newer, iam).status_code == 302
    second = Sbom.objects.filter(organisation=org).latest("pk")
    first.refresh_from_db()
    assert second.previous == first and second.current and not first.current
    changes = services.diff(first, second)
    # Keycloak lists tomcat-embed-core twice (8.5.34 and 8.5.39): one of them is replaced
    assert ("tomcat-embed-core", "9.0.99") in [(c.name, c.version) for c in changes.added]
    assert ("tomcat-embed-core", "8.5.34") in [(c.name, c.version) for c in changes.removed]
    assert not any(c.version == "9.0.99" for c in changes.removed)
    assert 880 < changes.unchanged < 903
    page = ciso_client.get(f"/sbom/{second.pk}/diff/").content.decode()
    assert "9.0.99" in page and "8.5.34" in page
    detail = ciso_client.get(f"/sbom/{second.pk}/").content.decode()
    assert "data-no-longer-matched" in detail and "tomcat-embed-core" in detail
    # the old finding stays open: closed by a person, with a note
    assert services.no_longer_matched(second)
    assert all(f.status != "closed" for f in services.no_longer_matched(second))


@needs_data
def test_another_organisations_sbom_is_not_found(client_for: Any, org: Any, other_org: Any) -> None:
    theirs = services.import_sbom(
        other_org, SPDX.read_bytes(), file_name="x.spdx.json", system=system(other_org)
    )
    client = client_for(Role.ADMINISTRATOR, org)
    for url in (f"/sbom/{theirs.pk}/", f"/sbom/{theirs.pk}/diff/", f"/api/sboms/{theirs.pk}/"):
        assert client.get(url).status_code == 404
    assert "x.spdx" not in client.get("/sbom/").content.decode()
    foreign = client.post(
        "/sbom/import/",
        {"file": SimpleUploadedFile("a.json", SPDX.read_bytes()), "system": theirs.system_id},
    )
    assert foreign.status_code == 400 and Sbom.objects.filter(organisation=org).count() == 0


@needs_data
def test_a_read_only_role_reads_but_cannot_import_or_match(client_for: Any, org: Any) -> None:
    sbom = services.import_sbom(org, SPDX.read_bytes(), file_name="a.spdx.json", system=system(org))
    auditor = client_for(Role.AUDITOR, org)
    assert auditor.get("/sbom/").status_code == 200
    assert auditor.get(f"/sbom/{sbom.pk}/").status_code == 200
    assert auditor.get("/sbom/advisories/").status_code == 200
    assert auditor.get("/sbom/import/").status_code == 403
    assert upload(auditor, SPDX, sbom.system).status_code == 403
    assert auditor.post("/sbom/rematch/").status_code == 403
    assert auditor.post("/sbom/settings/", {"finding_threshold": "low"}).status_code == 403
    owner = client_for(Role.CONTROL_OWNER, org)
    assert upload(owner, SPDX, sbom.system).status_code == 403
    assert Sbom.objects.filter(organisation=org).count() == 1
    assert client_for(Role.BOARD, org).get("/sbom/").status_code == 403


@needs_data
def test_advisory_data_page_and_cache(ciso_client: Client, settings: Any) -> None:
    use_advisories(settings, ZEPPELIN)
    first = advisories.current()
    assert first.ready and first.advisory_count > 0 and first.kev_count > 1000
    assert advisories.current() is first  # built once, reused
    page = ciso_client.get("/sbom/advisories/").content.decode()
    assert str(first.advisory_count) in page and str(first.kev_count) in page
    use_advisories(settings, MAVEN)  # a folder with a file that is not an advisory
    broken = advisories.current()
    assert broken is not first and not broken.ready and "patches.json" in broken.errors[0]


@needs_data
def test_dashboard_numbers(org: Any, settings: Any) -> None:
    assert services.dashboard_numbers(org)["kev_components"] == 0
    use_advisories(settings, ZEPPELIN)
    sbom = services.import_sbom(org, KEYCLOAK.read_bytes(), file_name="k.json", system=system(org))
    services.match_sbom(sbom, advisories.current())
    numbers = services.dashboard_numbers(org)
    assert numbers["kev_components"] >= 2  # tomcat-embed-core and tomcat-coyote
    assert numbers["vulnerable_components"] >= numbers["kev_components"]
    assert numbers["open_findings"] == findings(org).count() > 0


def test_the_due_date_page_says_the_days_are_not_from_the_source(ciso_client: Client) -> None:
    page = ciso_client.get("/sbom/settings/").content.decode()
    assert "非出自來源" in page and "data-sla" in page


@needs_data
def test_why_a_component_is_not_matched_is_told_in_the_pages_language(
    ciso_client: Client, org: Any, settings: Any
) -> None:
    use_advisories(settings, ZEPPELIN)
    bad_purls = DATA / "sbom/osv-scanner-fixtures/bad-purls.cdx.xml"
    assert upload(ciso_client, bad_purls, system(org)).status_code == 302
    sbom = Sbom.objects.get(organisation=org)
    notes = set(sbom.components.values_list("note", flat=True))
    assert {"no_purl", "invalid_purl", "unsupported_ecosystem"} <= notes
    page = ciso_client.get(f"/sbom/{sbom.pk}/?components=all").content.decode()
    assert "purl 類型 apk 不與 OSV 安全公告比對" in page and "沒有 purl" in page
    shown = ciso_client.get(f"/sbom/{sbom.pk}/").context
    assert shown["unmatched"] == sbom.components.exclude(note="").count() > 0
    assert shown["components"] == []  # every component only on request
    assert "is not matched against" not in page and "unsupported_ecosystem" not in page
    ciso_client.post("/i18n/setlang/", {"language": "en"})
    english = ciso_client.get(f"/sbom/{sbom.pk}/?components=all").content.decode()
    assert "purl type apk is not matched against OSV advisories" in english
    api = ciso_client.get(f"/api/sboms/{sbom.pk}/").json()
    assert any(c["note"].startswith("no purl") for c in api["components"])


@needs_data
def test_the_rematch_command_matches_every_organisation(
    org: Any, other_org: Any, settings: Any
) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No advisory data"):
        call_command("sbom_rematch", stdout=StringIO())
    for organisation in (org, other_org):
        services.import_sbom(
            organisation, KEYCLOAK.read_bytes(), file_name="k.json", system=system(organisation)
        )
    use_advisories(settings, ZEPPELIN)
    out = StringIO()
    call_command("sbom_rematch", "--now", stdout=out)
    assert findings(org).exists() and findings(other_org).exists()
    assert "Alpha Securities" in out.getvalue() and "Beta Bank" in out.getvalue()
    out = StringIO()
    call_command("sbom_rematch", stdout=out)  # as jobs (run at once in the tests)
    from finres.web.jobs.models import Job

    done = Job.objects.filter(kind="sbom.rematch", state="succeeded")
    assert done.count() == 2 and all(j.summary()["new_findings"] == 0 for j in done)


@needs_data
def test_the_job_page_leads_to_the_imported_sbom(
    ciso_client: Client, org: Any, settings: Any
) -> None:
    from finres.web.jobs.models import Job

    use_advisories(settings, ZEPPELIN)
    assert upload(ciso_client, KEYCLOAK, system(org)).status_code == 302
    job = Job.objects.get(organisation=org, kind="sbom.import")
    sbom = Sbom.objects.get(organisation=org)
    page = ciso_client.get(f"/jobs/{job.pk}/").content.decode()
    assert f"/sbom/{sbom.pk}/" in page and "903 個元件" in page


@needs_data
def test_vex_embedded_in_the_sbom_sets_a_vulnerability_aside(
    ciso_client: Client, org: Any, settings: Any, tmp_path: Path
) -> None:
    import json

    use_advisories(settings, ZEPPELIN)
    folder = DATA / "sbom/cyclonedx/bom-examples/VEX"
    plain = json.loads((folder / "bom.json").read_text())
    statements = json.loads((folder / "vex.json").read_text())
    # the CycloneDX example's SBOM with its VEX document's statements embedded
    embedded = tmp_path / "with-vex.json"
    embedded.write_text(
        json.dumps(
            {**plain, "specVersion": "1.4", "vulnerabilities": statements["vulnerabilities"]}
        )
    )
    assert upload(ciso_client, folder / "bom.json", system(org, "SYS-A")).status_code == 302
    assert upload(ciso_client, embedded, system(org, "SYS-B")).status_code == 302

    def databind(code: str) -> Any:
        found = VulnerabilityMatch.objects.filter(
            component__sbom__system__code=code, component__name="jackson-databind"
        )
        return next((m for m in found if "CVE-2020-25649" in m.aliases), None)

    without, with_vex = databind("SYS-A"), databind("SYS-B")
    assert without is not None and without.vex_status == "" and without.finding is not None
    assert with_vex is not None and with_vex.vex_status in ("not_affected", "fixed")
    assert with_vex.finding is None
    sbom = Sbom.objects.get(organisation=org, system__code="SYS-B")
    page = ciso_client.get(f"/sbom/{sbom.pk}/").content.decode()
    assert with_vex.get_vex_status_display() in page


def test_the_pages_say_when_no_advisory_data_is_configured(
    ciso_client: Client, settings: Any
) -> None:
    warning = "本站尚未設定弱點資料"
    assert warning in ciso_client.get("/sbom/").content.decode()
    assert warning in ciso_client.get("/sbom/import/").content.decode()
    settings.FINRES_OSV_PATHS = ["/nowhere/osv"]
    assert warning not in ciso_client.get("/sbom/").content.decode()
    page = ciso_client.get("/sbom/advisories/").content.decode()
    assert "/nowhere/osv" in page  # the file that could not be read is named


@needs_data
def test_imports_and_matches_are_in_the_audit_trail_as_bulk_events(org: Any, settings: Any) -> None:
    from finres.web.audit.models import AuditEvent

    use_advisories(settings, ZEPPELIN, CLASSIFIER)
    sbom = services.import_sbom(org, KEYCLOAK.read_bytes(), file_name="k.json", system=system(org))
    created = AuditEvent.objects.get(organisation_id=org.pk, model="sbom.Sbom", action="create")
    assert created.changes["bulk"]["count"] == 904  # one event: the SBOM and its 903 components
    services.match_sbom(sbom, advisories.current())
    both = VulnerabilityMatch.objects.filter(component__sbom=sbom).count()
    use_advisories(settings, ZEPPELIN)  # the second dump is withdrawn: its matches go
    services.match_sbom(sbom, advisories.current())
    left = VulnerabilityMatch.objects.filter(component__sbom=sbom).count()
    assert 0 < left < both
    events = AuditEvent.objects.filter(organisation_id=org.pk, model="sbom.Sbom", action="update")
    assert events.count() == 2
    rows = list(events.order_by("sequence").first().changes["bulk"]["rows"].values())
    # the components whose note or ecosystem the matching changed, as rows of their own model
    noted = [r for r in rows if r.get("model") == "sbom.Component"]
    assert len(noted) == Component.objects.filter(sbom=sbom).exclude(ecosystem="").count() > 0
    assert all(before != after for r in noted for before, after in r["changes"].values())
    first = [r for r in rows if r not in noted]
    raised = [r for r in first if "title" in r["changes"]]  # the findings it raised
    assert len(raised) == findings(org).count() > 0
    assert len(first) - len(raised) == both  # and every match
    last = events.order_by("sequence").last().changes["bulk"]
    deleted = [r for r in last["rows"].values() if r.get("action") == "delete"]
    assert len(deleted) == both - left


def test_the_import_form_offers_only_the_organisations_systems_and_suppliers(
    ciso_client: Client, org: Any, other_org: Any
) -> None:
    system(org, "SYS-OURS")
    system(other_org, "SYS-THEIRS")
    Supplier.objects.create(organisation=other_org, code="SUP-THEIRS", name="Theirs")
    page = ciso_client.get("/sbom/import/").content.decode()
    assert "SYS-OURS" in page and "SYS-THEIRS" not in page and "SUP-THEIRS" not in page


def test_serve_demo_uses_the_shared_dumps_only_when_the_site_names_none(
    settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from finres.web.sbom import demo

    if not demo.KEV_FILE.is_file():
        pytest.skip("the shared data folder is not beside the repository")
    own = tmp_path / "own.zip"
    own.write_bytes(b"")
    settings.FINRES_OSV_PATHS, settings.FINRES_KEV_FILE = [str(own)], ""
    monkeypatch.setenv("FINRES_OSV_PATHS", "")  # restored after the test, whatever it was
    assert demo.use_shared_advisories() is False
    assert [str(own)] == settings.FINRES_OSV_PATHS  # configured data is never replaced
    settings.FINRES_OSV_PATHS = []
    monkeypatch.setenv("FINRES_KEV_FILE", "")
    assert demo.use_shared_advisories() is True
    assert [str(p) for p in demo.OSV_FILES] == settings.FINRES_OSV_PATHS
    assert os.environ["FINRES_KEV_FILE"] == str(demo.KEV_FILE)  # the worker child reads it
