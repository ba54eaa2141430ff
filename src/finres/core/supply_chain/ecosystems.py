"""Package ecosystems: purl types, OSV ecosystem names, name normalisation, version ordering.

Each supported ecosystem orders its versions with its own rules, through univers's version
classes (PEP 440 for PyPI, Maven's ComparableVersion, npm's semver, Go's semver with its ``v``
prefix, NuGet, RubyGems; Hex and crates.io in SemVer order). Nothing here compares version
strings by hand.

Packagist (Composer) and Pub are not matched: univers's Composer ordering disagrees with the
reference vectors on four-part and pre-release versions (``6.3.0.0 < 6.3.0.1``), and Pub
orders build metadata its own way; a wrong order is worse than a stated gap.

Linux distribution ecosystems (Debian, Ubuntu, Alpine, Red Hat …) are not matched: their OSV
records name a release (``Debian:11``) and a source package, which a purl does not reliably
carry. A component of such an ecosystem is listed with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from univers import versions as uv

Normaliser = Callable[[str], str]


def pep503(name: str) -> str:
    """PyPI names compare after PEP 503 normalisation (``Django_Rest.x`` = ``django-rest-x``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _lower(name: str) -> str:
    return name.lower()


def _exact(name: str) -> str:
    return name


@dataclass(frozen=True, slots=True)
class Ecosystem:
    """One OSV ecosystem and how its names and versions are read."""

    osv: str  # the OSV ecosystem name, e.g. "PyPI"
    purl_type: str  # the purl type, e.g. "pypi"
    version_class: type[uv.Version]
    normalise: Normaliser
    namespace_separator: str  # how a purl's namespace joins the name in OSV ("/" or ":")


ECOSYSTEMS: Final[tuple[Ecosystem, ...]] = (
    Ecosystem("PyPI", "pypi", uv.PypiVersion, pep503, "/"),
    Ecosystem("npm", "npm", uv.SemverVersion, _lower, "/"),
    Ecosystem("Maven", "maven", uv.MavenVersion, _exact, ":"),
    Ecosystem("Go", "golang", uv.GolangVersion, _exact, "/"),
    Ecosystem("crates.io", "cargo", uv.SemverVersion, _exact, "/"),
    Ecosystem("NuGet", "nuget", uv.NugetVersion, _lower, "/"),
    Ecosystem("RubyGems", "gem", uv.RubygemsVersion, _exact, "/"),
    Ecosystem("Hex", "hex", uv.SemverVersion, _lower, "/"),
)

BY_OSV: Final[dict[str, Ecosystem]] = {e.osv: e for e in ECOSYSTEMS}
BY_PURL_TYPE: Final[dict[str, Ecosystem]] = {e.purl_type: e for e in ECOSYSTEMS}
SUPPORTED_OSV_NAMES: Final[tuple[str, ...]] = tuple(e.osv for e in ECOSYSTEMS)

# OSV's SEMVER range type orders by Semantic Versioning 2.0 whatever the ecosystem.
SEMVER: Final = uv.SemverVersion

InvalidVersion = uv.InvalidVersion


def osv_name(ecosystem: Ecosystem, namespace: str | None, name: str) -> str:
    """The package name as OSV writes it for a purl's namespace and name, normalised."""
    joined = f"{namespace}{ecosystem.namespace_separator}{name}" if namespace else name
    return ecosystem.normalise(joined)
