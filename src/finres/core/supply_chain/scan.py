"""Matching an SBOM's components against an advisory index, KEV and VEX; the JSON contract.

``scan(components, index, kev, vex)`` returns one :class:`ComponentResult` per component, in
the SBOM's order; ``scan_data(results, language)`` is the ``finres sbom scan --format json``
contract (docs/supply-chain.md)::

    {"components": [{"purl", "name", "version",
                     "vulnerabilities": [{"id", "aliases", "kev", "severity", "fixed", "why"}]}]}

A component is matched by its purl: the purl type gives the OSV ecosystem, its namespace and
name the package name (normalised per ecosystem), its version the version (else the SBOM's
version field). A component that cannot be matched (no purl, a purl that does not parse, an
ecosystem that is not matched, no version) has no vulnerabilities and a ``note`` saying why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from packageurl import PackageURL

from finres.core.i18n import DEFAULT_LANGUAGE, N_, Language, gettext_for
from finres.core.supply_chain.ecosystems import BY_PURL_TYPE, ECOSYSTEMS, osv_name
from finres.core.supply_chain.kev import Kev
from finres.core.supply_chain.osv import AdvisoryIndex, Hit
from finres.core.supply_chain.sbom import Component
from finres.core.supply_chain.severity import Severity, severity_of
from finres.core.supply_chain.vex import Statement, Vex

NOTES: Final[dict[str, str]] = {
    "no_purl": N_("no purl: the component cannot be matched"),
    "invalid_purl": N_("the purl cannot be read: {detail}"),
    "unsupported_ecosystem": N_("purl type {detail} is not matched against OSV advisories"),
    "no_version": N_("no version: the component cannot be matched"),
}


@dataclass(frozen=True, slots=True)
class Vulnerability:
    id: str
    aliases: tuple[str, ...]
    kev: bool
    severity: Severity | None
    fixed: tuple[str, ...]
    hits: tuple[Hit, ...]  # the affected entries that contain the version (the why)


@dataclass(frozen=True, slots=True)
class ComponentResult:
    component: Component
    version: str | None  # the version matched (the purl's, else the SBOM's)
    ecosystem: str | None  # the OSV ecosystem
    vulnerabilities: tuple[Vulnerability, ...]
    note: tuple[str, str] | None = None  # (code of NOTES, detail)
    set_aside: tuple[tuple[Vulnerability, Statement], ...] = ()  # by VEX


def _order(vulnerability: Vulnerability) -> tuple[bool, float, str]:
    score = vulnerability.severity.score if vulnerability.severity else -1.0
    return (not vulnerability.kev, -score, vulnerability.id)


def scan_component(
    component: Component, index: AdvisoryIndex, kev: Kev | None = None, vex: Vex | None = None
) -> ComponentResult:
    if component.purl is None:
        return ComponentResult(component, component.version, None, (), ("no_purl", ""))
    try:
        purl = PackageURL.from_string(component.purl)
    except ValueError as error:
        return ComponentResult(component, component.version, None, (), ("invalid_purl", str(error)))
    version = purl.version or component.version
    ecosystem = BY_PURL_TYPE.get(purl.type)
    if ecosystem is None:
        return ComponentResult(component, version, None, (), ("unsupported_ecosystem", purl.type))
    if not version:
        return ComponentResult(component, None, ecosystem.osv, (), ("no_version", ""))
    name = osv_name(ecosystem, purl.namespace, purl.name)
    by_advisory: dict[str, list[Hit]] = {}
    for hit in index.match(ecosystem, name, version):
        by_advisory.setdefault(hit.affected.advisory.id, []).append(hit)
    found: list[Vulnerability] = []
    set_aside: list[tuple[Vulnerability, Statement]] = []
    for hits in by_advisory.values():
        advisory = hits[0].affected.advisory
        ids = (advisory.id, *advisory.aliases)
        fixed = tuple(dict.fromkeys(v for hit in hits for v in hit.fixed))
        severity = severity_of(*(hit.affected.severity for hit in hits), advisory.severity)
        vulnerability = Vulnerability(
            advisory.id,
            advisory.aliases,
            kev.lists(ids) if kev is not None else False,
            severity,
            fixed,
            tuple(hits),
        )
        statement = vex.statement(ids, component.ref, component.purl) if vex else None
        if statement is not None:
            set_aside.append((vulnerability, statement))
        else:
            found.append(vulnerability)
    found.sort(key=_order)
    return ComponentResult(component, version, ecosystem.osv, tuple(found), None, tuple(set_aside))


def scan(
    components: Iterable[Component],
    index: AdvisoryIndex,
    kev: Kev | None = None,
    vex: Vex | None = None,
) -> list[ComponentResult]:
    """Every component matched, in the SBOM's order (the index is only read: reuse it)."""
    return [scan_component(c, index, kev, vex) for c in components]


# --- explanations and the JSON contract ------------------------------------------------------


def range_text(interval: tuple[str | None, str | None, str | None]) -> str:
    """``>=1.0, <1.1``; ``<1.1`` when introduced at 0; ``>=1.0`` when never fixed; ``>=0``."""
    introduced, fixed, last_affected = interval
    parts = []
    if introduced is not None and introduced != "0":
        parts.append(f">={introduced}")
    if fixed is not None:
        parts.append(f"<{fixed}")
    if last_affected is not None:
        parts.append(f"<={last_affected}")
    return ", ".join(parts) or ">=0"


def why(hit: Hit, version: str, ecosystem: str, language: Language) -> str:
    """One sentence: the advisory, the range (or the list) and the version."""
    _ = gettext_for(language).gettext
    advisory = hit.affected.advisory.id
    if hit.reason == "versions":
        return _("{advisory} lists {name} {version} among its affected versions").format(
            advisory=advisory, name=hit.affected.package, version=version
        )
    if hit.reason == "git":
        return _(
            "{advisory} gives only commit (GIT) ranges for {name}: whether {version} is affected"
            " needs the repository's history; review it by hand"
        ).format(advisory=advisory, name=hit.affected.package, version=version)
    assert hit.range is not None
    ordering = "SemVer" if hit.range.type == "SEMVER" else ecosystem
    if hit.reason == "unordered":
        return _(
            "{advisory} names {name}, but {version} or a version of its range cannot be ordered"
            " as {ordering}: review it by hand"
        ).format(advisory=advisory, name=hit.affected.package, version=version, ordering=ordering)
    assert hit.interval is not None
    text = _("{advisory} affects {name} {range} ({ordering} ordering): {version} is in it")
    return text.format(
        advisory=advisory,
        name=hit.affected.package,
        range=range_text(hit.interval),
        ordering=ordering,
        version=version,
    )


def vulnerability_data(
    vulnerability: Vulnerability, result: ComponentResult, language: Language
) -> dict[str, Any]:
    version = result.version or ""
    ecosystem = result.ecosystem or ""
    return {
        "id": vulnerability.id,
        "aliases": list(vulnerability.aliases),
        "kev": vulnerability.kev,
        "severity": vulnerability.severity.data() if vulnerability.severity else None,
        "fixed": list(vulnerability.fixed),
        "why": gettext_for(language)
        .gettext("; ")
        .join(dict.fromkeys(why(hit, version, ecosystem, language) for hit in vulnerability.hits)),
    }


def scan_data(
    results: Sequence[ComponentResult], language: Language = DEFAULT_LANGUAGE
) -> dict[str, Any]:
    """The stable JSON shape of a scan (``finres sbom scan --format json``)."""
    return {
        "components": [
            {
                "purl": r.component.purl,
                "name": r.component.name,
                "version": r.version,
                "vulnerabilities": [vulnerability_data(v, r, language) for v in r.vulnerabilities],
            }
            for r in results
        ]
    }


def note_text(result: ComponentResult, language: Language = DEFAULT_LANGUAGE) -> str | None:
    if result.note is None:
        return None
    code, detail = result.note
    return gettext_for(language).gettext(NOTES[code]).format(detail=detail)


SUPPORTED: Final = tuple(e.purl_type for e in ECOSYSTEMS)
