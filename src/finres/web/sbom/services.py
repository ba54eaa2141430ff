"""SBOM import, matching against the site's advisory data, findings, the diff between two
versions of a system's SBOM and the dashboard's numbers; shared by the jobs, pages and API.

Findings: every KEV-listed vulnerability, and every vulnerability whose CVSS severity reaches
the organisation's threshold, becomes one ``improvements.Finding`` (source "automated check"),
recorded once: its ``source_reference`` ``sbom:<organisation>:<system>:<purl>:<advisory>`` is
stable, so a re-match finds it and raises nothing again. A finding whose vulnerability a later
run no longer reports (a fixed version imported, a VEX statement) is not closed by the
platform: a person closes it with a note, and the SBOM pages list it as "no longer matched".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from finres.core import remediation
from finres.core.supply_chain import ComponentResult, InputError, Vulnerability, load_sbom, scan
from finres.core.supply_chain import Sbom as CoreSbom
from finres.core.supply_chain.scan import vulnerability_data
from finres.core.supply_chain.vex import Vex
from finres.web.audit import actions, log
from finres.web.improvements.models import Finding
from finres.web.language import current_language
from finres.web.orgs.models import Organisation
from finres.web.sbom import advisories
from finres.web.sbom.models import (
    SEVERITY_RANK,
    Component,
    Sbom,
    SbomSettings,
    VexStatus,
    VulnerabilityMatch,
)

MAX_BYTES = 100 * 1024 * 1024  # the core refuses larger SBOMs too
BLUEPRINT = "fsc-resilience-blueprint-2025"
REQUIREMENT = "m-8.vulnerability-management"  # measure 8: vulnerability management and updates
REFERENCE_PREFIX = "sbom"

ProgressFn = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, step: str = "") -> None:
    return None


class ImportRefused(ValueError):
    """A file that is not a valid SBOM: the message names the file and the place in it."""


def settings_for(organisation: Organisation) -> SbomSettings:
    found = SbomSettings.objects.filter(organisation=organisation).first()
    return found or SbomSettings(organisation=organisation)


# --- import --------------------------------------------------------------------------------------


def read_sbom(content: bytes, file_name: str) -> CoreSbom:
    """Validate and read ``content`` (any supported format); ``ImportRefused`` otherwise."""
    if len(content) > MAX_BYTES:
        raise ImportRefused(_("%(file)s: larger than 100 MiB") % {"file": file_name})
    # The core reads files (spdx-tools parses from a path): a private temporary copy.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sbom"
        path.write_bytes(content)
        try:
            return load_sbom(path)
        except InputError as error:
            named = InputError(file_name, error.problem, error.place)
            raise ImportRefused(named.message(current_language())) from None


def import_sbom(
    organisation: Organisation,
    content: bytes,
    *,
    file_name: str,
    system: Any,
    supplier: Any = None,
    name: str = "",
    version: str = "",
    user: Any = None,
) -> Sbom:
    """A new SBOM of ``system`` with its components, all or nothing. The latest SBOM of the
    same system and name becomes its ``previous`` version (kept, no longer current)."""
    parsed = read_sbom(content, file_name)
    embedded = _embedded_vex(parsed)
    if embedded is not None:
        try:
            Vex().add_document(embedded, file_name)
        except InputError as error:
            raise ImportRefused(error.message(current_language())) from None
    name = (name or _described_name(parsed) or Path(file_name).stem or file_name)[:200]
    version = (version or _described_version(parsed))[:100]
    with log.bulk(
        actions.CREATE,
        "sbom.Sbom",
        organisation.pk,
        f"SBOM {name} {version}".strip(),
        rows_model="sbom.Component",
    ) as audit:
        previous = (
            Sbom.objects.select_for_update()
            .filter(organisation=organisation, system=system, name=name, current=True)
            .order_by("-imported_at", "-pk")
            .first()
        )
        if previous is not None:
            Sbom.objects.filter(organisation=organisation, system=system, name=name).update(
                current=False
            )
        sbom = Sbom.objects.create(
            organisation=organisation,
            system=system,
            supplier=supplier,
            name=name,
            version=version,
            format=parsed.format,
            spec_version=parsed.spec_version,
            serial_number=(parsed.serial_number or "")[:200],
            file_name=file_name[:255],
            file_sha256=hashlib.sha256(content).hexdigest(),
            file_size=len(content),
            imported_by=user if getattr(user, "is_authenticated", False) else None,
            previous=previous,
            component_count=len(parsed.components),
            embedded_vex=embedded,
        )
        components = Component.objects.bulk_create(
            [
                Component(
                    sbom=sbom,
                    position=n,
                    name=(c.name or "")[:300],
                    version=(c.version or "")[:200],
                    purl=(c.purl or "")[:1000],
                    ref=(c.ref or "")[:1000],
                )
                for n, c in enumerate(parsed.components)
            ]
        )
        for component in components:
            audit.add(component.pk, str(component), {"purl": [None, component.purl]})
        audit.details["file_sha256"] = sbom.file_sha256
        if previous is not None:
            audit.details["previous"] = previous.pk
    return sbom


def _embedded_vex(parsed: CoreSbom) -> dict[str, Any] | None:
    document = parsed.document or {}
    if not document.get("vulnerabilities"):
        return None
    return {
        "bomFormat": "CycloneDX",
        "specVersion": document.get("specVersion"),
        "vulnerabilities": document["vulnerabilities"],
    }


def _described_name(parsed: CoreSbom) -> str:
    described = ((parsed.document or {}).get("metadata") or {}).get("component") or {}
    return str(described.get("name") or "")


def _described_version(parsed: CoreSbom) -> str:
    described = ((parsed.document or {}).get("metadata") or {}).get("component") or {}
    return str(described.get("version") or "")


# --- matching ------------------------------------------------------------------------------------


@dataclass
class MatchReport:
    sboms: int = 0
    components: int = 0
    vulnerable: int = 0
    kev: int = 0
    new_findings: list[int] = field(default_factory=list)
    advisory_data: dict[str, Any] = field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        return {
            "sboms": self.sboms,
            "components": self.components,
            "vulnerable_components": self.vulnerable,
            "kev_components": self.kev,
            "new_findings": len(self.new_findings),
            "findings": self.new_findings[:200],
            "advisory_data": self.advisory_data,
        }


def _severity(vulnerability: Vulnerability) -> str:
    if vulnerability.severity is None:
        return ""
    rating = vulnerability.severity.rating.lower()
    return rating if rating in SEVERITY_RANK else "low"  # CVSS "NONE" counts as low


def reference(sbom: Sbom, purl: str, advisory_id: str) -> str:
    """The finding's stable ``source_reference`` (a long purl by its hash, to fit 200)."""
    text = f"{REFERENCE_PREFIX}:{sbom.organisation_id}:{sbom.system_id}:{purl}:{advisory_id}"
    if len(text) <= 200:
        return text
    digest = hashlib.sha256(purl.encode()).hexdigest()[:32]
    return (
        f"{REFERENCE_PREFIX}:{sbom.organisation_id}:{sbom.system_id}:sha256-{digest}:{advisory_id}"
    )


def becomes_finding(kev: bool, severity: str, threshold: str) -> bool:
    if kev:
        return True
    return bool(severity) and SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]


def _requirement() -> Any:
    from finres.web.frameworks.models import Requirement

    return (
        Requirement.objects.filter(framework__code=BLUEPRINT, code=REQUIREMENT).first()
        or Requirement.objects.filter(framework__code=BLUEPRINT, code="m-8").first()
    )


def match_sbom(
    sbom: Sbom,
    data: advisories.AdvisoryData,
    *,
    user: Any = None,
    report: MatchReport | None = None,
    threshold: str | None = None,
) -> MatchReport:
    """Match ``sbom``'s components against ``data``; matches replace the last run's and new
    findings are recorded (existing ones, open or closed, are never duplicated)."""
    report = report or MatchReport(advisory_data=data.describe())
    if data.index is None:
        return report
    threshold = threshold or settings_for(sbom.organisation).finding_threshold
    components = list(sbom.components.all().order_by("position"))
    results = scan([_core_component(c) for c in components], data.index, data.kev, _vex_of(sbom))
    requirement = _requirement()
    today = timezone.localdate()
    system = sbom.system
    supplier = sbom.supplier
    existing = {
        (m.component_id, m.advisory_id): m
        for m in VulnerabilityMatch.objects.filter(component__sbom=sbom)
    }
    kept: set[int] = set()
    vulnerable = kev_components = 0
    with log.bulk(
        actions.UPDATE,
        "sbom.Sbom",
        sbom.organisation_id,
        f"SBOM {sbom} matched",
        object_id=sbom.pk,
        rows_model="sbom.VulnerabilityMatch",
    ) as audit:
        notes: list[Component] = []
        new_rows: list[VulnerabilityMatch] = []
        changed_rows: list[VulnerabilityMatch] = []
        for component, result in zip(components, results, strict=True):
            code, detail = result.note or ("", "")
            ecosystem = (result.ecosystem or "")[:40]
            if (component.note, component.note_detail, component.ecosystem) != (
                code,
                detail[:500],
                ecosystem,
            ):
                changed = {
                    name: [before, after]
                    for name, before, after in (
                        ("note", component.note, code),
                        ("note_detail", component.note_detail, detail[:500]),
                        ("ecosystem", component.ecosystem, ecosystem),
                    )
                    if before != after
                }
                audit.add(
                    component.pk,
                    str(component),
                    changed,
                    action=actions.UPDATE,
                    model="sbom.Component",
                )
                component.note, component.note_detail = code, detail[:500]
                component.ecosystem = ecosystem
                notes.append(component)
            if result.vulnerabilities:
                vulnerable += 1
            if any(v.kev for v in result.vulnerabilities):
                kev_components += 1
            found = [(v, None) for v in result.vulnerabilities] + list(result.set_aside)
            for vulnerability, statement in found:
                row = _match_row(component, result, vulnerability, statement)
                old = existing.get((component.pk, vulnerability.id))
                if statement is None and becomes_finding(
                    vulnerability.kev, row.severity, threshold
                ):
                    row.finding = _record_finding(
                        sbom, component, row, system, supplier, requirement, today, user, report
                    )
                elif old is not None:
                    row.finding_id = old.finding_id
                if old is None:
                    new_rows.append(row)
                    continue
                kept.add(old.pk)
                if _differs(old, row):
                    row.pk = old.pk
                    changed_rows.append(row)
        Component.objects.bulk_update(notes, ["note", "note_detail", "ecosystem"], batch_size=500)
        created = VulnerabilityMatch.objects.bulk_create(new_rows, batch_size=500)
        VulnerabilityMatch.objects.bulk_update(changed_rows, MATCH_FIELDS, batch_size=500)
        for row in created:
            audit.add(row.pk, row.advisory_id, {"component": [None, row.component_id]})
        for row in changed_rows:
            audit.add(row.pk, row.advisory_id, {"kev": [None, row.kev]}, action=actions.UPDATE)
        gone = [m.pk for m in existing.values() if m.pk not in kept]
        # deleted one by one: the audit's signal handlers add each row to this bulk event
        VulnerabilityMatch.objects.filter(pk__in=gone).delete()
        sbom.matched_at = timezone.now()
        sbom.vulnerable_count = vulnerable
        sbom.kev_count = kev_components
        sbom.component_count = len(components)
        Sbom.objects.filter(pk=sbom.pk).update(
            matched_at=sbom.matched_at,
            vulnerable_count=vulnerable,
            kev_count=kev_components,
            component_count=len(components),
        )
        audit.details.update(vulnerable=vulnerable, kev=kev_components)
    report.sboms += 1
    report.components += len(components)
    report.vulnerable += vulnerable
    report.kev += kev_components
    return report


MATCH_FIELDS = [
    "aliases",
    "kev",
    "severity",
    "score",
    "cvss_type",
    "vector",
    "fixed",
    "why_zh",
    "why_en",
    "vex_status",
    "vex_detail",
    "finding",
]


def _differs(old: VulnerabilityMatch, new: VulnerabilityMatch) -> bool:
    return any(
        getattr(old, f if f != "finding" else "finding_id")
        != getattr(new, f if f != "finding" else "finding_id")
        for f in MATCH_FIELDS
    )


def _core_component(component: Component) -> Any:
    from finres.core.supply_chain import Component as CoreComponent

    return CoreComponent(
        component.name, component.version or None, component.purl or None, component.ref or None
    )


def _vex_of(sbom: Sbom) -> Vex | None:
    """The VEX statements embedded in the SBOM (CycloneDX ``vulnerabilities``), kept at import."""
    if not sbom.embedded_vex:
        return None
    vex = Vex()
    vex.add_document(sbom.embedded_vex, sbom.file_name)
    return vex


def _match_row(
    component: Component, result: ComponentResult, vulnerability: Vulnerability, statement: Any
) -> VulnerabilityMatch:
    zh = vulnerability_data(vulnerability, result, "zh-TW")
    en = vulnerability_data(vulnerability, result, "en")
    severity = vulnerability.severity
    status = VexStatus.NONE
    detail = ""
    if statement is not None:
        status = VexStatus.NOT_AFFECTED if statement.status == "not_affected" else VexStatus.FIXED
        detail = (statement.justification or "")[:500]
    return VulnerabilityMatch(
        component=component,
        advisory_id=vulnerability.id[:100],
        aliases=list(vulnerability.aliases),
        kev=vulnerability.kev,
        severity=_severity(vulnerability),
        score=severity.score if severity else None,
        cvss_type=(severity.type if severity else "")[:10],
        vector=(severity.vector if severity else "")[:300],
        fixed=list(vulnerability.fixed),
        why_zh=zh["why"],
        why_en=en["why"],
        vex_status=status,
        vex_detail=detail,
    )


def _record_finding(
    sbom: Sbom,
    component: Component,
    row: VulnerabilityMatch,
    system: Any,
    supplier: Any,
    requirement: Any,
    today: dt.date,
    user: Any,
    report: MatchReport,
) -> Finding:
    ref = reference(sbom, component.purl, row.advisory_id)
    earlier = (
        Finding.objects.filter(organisation_id=sbom.organisation_id, source_reference=ref)
        .order_by("-pk")
        .first()
    )
    if earlier is not None:  # open or closed: a re-match never raises it again
        return earlier
    severity = row.severity or "high"  # a KEV entry without CVSS: known exploited is high at least
    if row.kev and SEVERITY_RANK[severity] < SEVERITY_RANK["high"]:
        severity = "high"
    finding, created = Finding.objects.record_once(
        organisation_id=sbom.organisation_id,
        source_reference=ref,
        user=user,
        title=_finding_title(component, row),
        description=_finding_description(sbom, component, row, system, supplier),
        source=Finding.Source.CHECK,
        severity=severity,
        requirement=requirement,
        due_date=remediation.due_date(severity, today, known_exploited=row.kev),
    )
    if created:
        report.new_findings.append(finding.pk)
    return finding


def _finding_title(component: Component, row: VulnerabilityMatch) -> str:
    ids = ", ".join([row.advisory_id, *row.cves[:2]]) if row.cves else row.advisory_id
    if row.kev:
        return _("Known exploited (CISA KEV): %(name)s %(version)s, %(ids)s") % {
            "name": component.name,
            "version": component.version,
            "ids": ids,
        }
    return _("Vulnerable component: %(name)s %(version)s, %(ids)s") % {
        "name": component.name,
        "version": component.version,
        "ids": ids,
    }


def _finding_description(
    sbom: Sbom, component: Component, row: VulnerabilityMatch, system: Any, supplier: Any
) -> str:
    language = current_language()
    lines = [
        _("System: %(system)s") % {"system": f"{system.code} {system.name}"},
        _("Supplier: %(supplier)s")
        % {"supplier": f"{supplier.code} {supplier.name}" if supplier else _("none (in-house)")},
        _("SBOM: %(sbom)s (%(file)s, SHA-256 %(hash)s)")
        % {"sbom": str(sbom), "file": sbom.file_name, "hash": sbom.file_sha256[:16]},
        _("Component: %(name)s %(version)s (%(purl)s)")
        % {"name": component.name, "version": component.version, "purl": component.purl},
        _("Advisory: %(ids)s") % {"ids": ", ".join([row.advisory_id, *row.aliases])},
        _("Known exploited (CISA KEV): %(kev)s") % {"kev": _("yes") if row.kev else _("no")},
        _("CVSS: %(score)s %(vector)s")
        % {"score": row.score if row.score is not None else "—", "vector": row.vector},
        _("Why: %(why)s") % {"why": row.why(language)},
        _("Fixed in: %(fixed)s")
        % {"fixed": ", ".join(row.fixed) if row.fixed else _("no fixed version known")},
    ]
    return "\n".join(lines)


def rematch_all(
    organisation: Organisation,
    data: advisories.AdvisoryData,
    *,
    user: Any = None,
    progress: ProgressFn = _no_progress,
) -> MatchReport:
    """Every current SBOM of ``organisation`` matched again (new advisories or KEV entries)."""
    report = MatchReport(advisory_data=data.describe())
    sboms = list(
        Sbom.objects.filter(organisation=organisation, current=True)
        .select_related("organisation", "system", "supplier")
        .order_by("pk")
    )
    threshold = settings_for(organisation).finding_threshold
    for n, sbom in enumerate(sboms):
        progress(n, len(sboms), str(sbom))
        with transaction.atomic():
            match_sbom(sbom, data, user=user, report=report, threshold=threshold)
    progress(len(sboms), len(sboms), "")
    return report


# --- what the pages show -------------------------------------------------------------------------


def findings_of_system(organisation_id: int, system_id: int) -> Any:
    prefix = f"{REFERENCE_PREFIX}:{organisation_id}:{system_id}:"
    return Finding.objects.filter(
        organisation_id=organisation_id, source_reference__startswith=prefix
    )


def no_longer_matched(sbom: Sbom) -> list[Finding]:
    """Open findings of the system's SBOMs that the last run of ``sbom`` no longer reports."""
    still = set(
        VulnerabilityMatch.objects.filter(component__sbom=sbom, vex_status="")
        .exclude(finding=None)
        .values_list("finding_id", flat=True)
    )
    others = Sbom.objects.filter(
        organisation_id=sbom.organisation_id, system_id=sbom.system_id, current=True
    ).exclude(pk=sbom.pk)
    still |= set(
        VulnerabilityMatch.objects.filter(component__sbom__in=others, vex_status="")
        .exclude(finding=None)
        .values_list("finding_id", flat=True)
    )
    return list(
        findings_of_system(sbom.organisation_id, sbom.system_id)
        .open()
        .exclude(pk__in=still)
        .order_by("due_date", "pk")
    )


@dataclass
class Diff:
    added: list[Component]
    removed: list[Component]
    changed: list[tuple[Component, Component]]  # (before, after): another version
    unchanged: int


def _package_key(component: Component) -> str:
    """A component's identity across versions: its purl without version, else its name."""
    if component.purl:
        base = component.purl.split("?")[0].split("#")[0]
        return base.rsplit("@", 1)[0] if "@" in base.rsplit("/", 1)[-1] else base
    return f"name:{component.name}"


def diff(before: Sbom, after: Sbom) -> Diff:
    old: dict[str, list[Component]] = {}
    for c in before.components.all().order_by("position"):
        old.setdefault(_package_key(c), []).append(c)
    new: dict[str, list[Component]] = {}
    for c in after.components.all().order_by("position"):
        new.setdefault(_package_key(c), []).append(c)
    added: list[Component] = []
    removed: list[Component] = []
    changed: list[tuple[Component, Component]] = []
    unchanged = 0
    for key, items in new.items():
        previous = old.get(key, [])
        old_versions = {c.version for c in previous}
        new_versions = {c.version for c in items}
        if not previous:
            added.extend(items)
        elif old_versions == new_versions:
            unchanged += len(items)
        elif len(old_versions) == 1 and len(new_versions) == 1:  # duplicates listed once
            changed.append((previous[0], items[0]))
        else:
            added.extend(c for c in items if c.version not in old_versions)
            removed.extend(c for c in previous if c.version not in new_versions)
            unchanged += len([c for c in items if c.version in old_versions])
    for key, items in old.items():
        if key not in new:
            removed.extend(items)
    return Diff(added, removed, changed, unchanged)


def dashboard_numbers(organisation: Organisation) -> dict[str, int]:
    """The dashboard's tiles: components of current SBOMs that have a KEV-listed or any
    vulnerability, and the open findings that SBOM matching raised."""
    components = Component.objects.filter(
        sbom__organisation=organisation, sbom__current=True
    ).annotate(
        open_matches=Count("vulnerabilities", filter=Q(vulnerabilities__vex_status="")),
        kev_matches=Count(
            "vulnerabilities",
            filter=Q(vulnerabilities__vex_status="", vulnerabilities__kev=True),
        ),
    )
    return {
        "kev_components": components.filter(kev_matches__gt=0).count(),
        "vulnerable_components": components.filter(open_matches__gt=0).count(),
        "open_findings": Finding.objects.filter(
            organisation=organisation,
            source_reference__startswith=f"{REFERENCE_PREFIX}:{organisation.pk}:",
        )
        .open()
        .count(),
        "sboms": Sbom.objects.filter(organisation=organisation, current=True).count(),
    }
