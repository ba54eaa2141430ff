"""The demo securities firm's SBOM of a third-party system: Keycloak 10.0.2 (CycloneDX 1.2, the
CycloneDX project's example SBOM), the single sign-on of its e-trading platform delivered by its
core-systems vendor, matched against real Maven advisories and the CISA KEV catalogue, so that
the KEV-listed Ghostcat vulnerability of its embedded Tomcat (CVE-2020-1938) is a finding.

The SBOM and the advisories are public data read from the shared data folder beside the
repository (``../shared/data``) when it is there; the advisory data configured for the site
(``FINRES_OSV_PATHS``) is used instead when set. Without the folder, the demo has a small SBOM of
its own and no matches.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

import finres
from finres.web.registers.models import InformationSystem, Supplier
from finres.web.sbom import advisories, services
from finres.web.sbom.models import Sbom, SbomSettings

SHARED_DATA = Path(finres.__file__).resolve().parents[3] / "shared" / "data"
SBOM_FILE = SHARED_DATA / "sbom/cyclonedx/bom-examples/SBOM/keycloak-10.0.2/bom.json"
OSV_FILES = (
    SHARED_DATA / "osv/maven-osv-scalibr-guidedremediation/zeppelin-server/vulnerabilities.json",
    SHARED_DATA / "osv/maven-osv-scalibr-guidedremediation/maven-classifier/vulnerabilities.json",
)
KEV_FILE = SHARED_DATA / "kev/known_exploited_vulnerabilities.json"
SYSTEM = "SYS-ETRADE"
SUPPLIER = "SUP-CORE"

FALLBACK = {  # without the shared data: a small SBOM, nothing to match it against
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "version": 1,
    "metadata": {"component": {"type": "application", "name": "keycloak", "version": "10.0.2"}},
    "components": [
        {
            "type": "library",
            "name": "tomcat-embed-core",
            "version": "8.5.34",
            "purl": "pkg:maven/org.apache.tomcat.embed/tomcat-embed-core@8.5.34?type=jar",
        },
        {
            "type": "library",
            "name": "jackson-databind",
            "version": "2.10.1",
            "purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.1?type=jar",
        },
    ],
}


def advisory_data() -> advisories.AdvisoryData | None:
    configured = advisories.current()
    if configured.ready:
        return configured
    if not all(path.is_file() for path in (*OSV_FILES, KEV_FILE)):
        return None
    from finres.core.supply_chain import load_index, load_kev

    return advisories.AdvisoryData(
        osv_paths=OSV_FILES,
        kev_path=KEV_FILE,
        index=load_index(OSV_FILES),
        kev=load_kev(KEV_FILE),
        loaded_at=timezone.now(),
        files=len(OSV_FILES) + 1,
    )


def use_shared_advisories() -> bool:
    """For ``finres serve --demo``: when the site names no advisory data and the demo's shared
    dumps are there, use them for this process and the worker it starts, so that an SBOM a
    new user imports is matched as the demo's was. Configured data is never replaced."""
    if advisories.configured()[0] or not all(p.is_file() for p in (*OSV_FILES, KEV_FILE)):
        return False
    paths = [str(path) for path in OSV_FILES]
    settings.FINRES_OSV_PATHS = paths
    settings.FINRES_KEV_FILE = str(KEV_FILE)
    os.environ["FINRES_OSV_PATHS"] = os.pathsep.join(paths)  # for the worker child process
    os.environ["FINRES_KEV_FILE"] = str(KEV_FILE)
    return True


def load(context: Any) -> None:
    securities = context.organisations.get("securities")
    if securities is None or Sbom.objects.filter(organisation=securities).exists():
        return
    system = InformationSystem.objects.filter(organisation=securities, code=SYSTEM).first()
    if system is None:
        return
    supplier = Supplier.objects.filter(organisation=securities, code=SUPPLIER).first()
    SbomSettings.objects.get_or_create(organisation=securities)
    if SBOM_FILE.is_file():
        content, file_name = SBOM_FILE.read_bytes(), "keycloak-10.0.2.cdx.json"
    else:
        content, file_name = json.dumps(FALLBACK).encode(), "keycloak-10.0.2.cdx.json"
    sbom = services.import_sbom(
        securities,
        content,
        file_name=file_name,
        system=system,
        supplier=supplier,
        name="Keycloak",
        version="10.0.2",
    )
    data = advisory_data()
    if data is not None:
        services.match_sbom(sbom, data)
