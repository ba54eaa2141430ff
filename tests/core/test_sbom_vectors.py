"""Data-driven: the OSV version-ordering vectors against each matched ecosystem's ordering, and
the purl-spec parse vectors against the purl handling, from the shared data folder.

A vector whose versions the ecosystem's ordering rejects (PyPI's pre-PEP 440 ``0.1-bulbasaur``)
is fine as long as the matcher then fails closed: such a version is reported for review, never
silently cleared. The few known disagreements of univers with the vectors are listed with their
reason; a test checks that they still disagree, so that a fix upstream shows here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from packageurl import PackageURL

from finres.core.supply_chain import AdvisoryIndex, Component, scan
from finres.core.supply_chain.ecosystems import BY_OSV, BY_PURL_TYPE, SEMVER, osv_name

from ..conftest import SHARED

VECTORS = SHARED / "data" / "osv" / "version-vectors" / "osv-scalibr-semantic"
PURL_TESTS = SHARED / "data" / "osv" / "purl-spec-tests" / "tests" / "types"
LINE = re.compile(r"^(\S+) ([<>=]) (\S+)$")

FILES = {
    "PyPI": ["pypi-versions.txt", "pypi-versions-generated.txt"],
    "Maven": ["maven-versions.txt", "maven-versions-generated.txt"],
    "NuGet": ["nuget-versions.txt"],
    "RubyGems": ["rubygems-versions.txt", "rubygems-versions-generated.txt"],
    "SemVer": ["semver-versions.txt"],
}

# univers disagrees with the reference on these; the reason is in the value.
KNOWN = {
    ("Maven", "1release = 1"): "univers keeps 'release' as a qualifier",
    ("Maven", "1RELEASE = 1"): "univers keeps 'release' as a qualifier",
    ("Maven", "1RELeaSE = 1"): "univers keeps 'release' as a qualifier",
    ("Maven", "1-1 = 1-ga-1"): "univers keeps 'ga' as a qualifier",
    ("Maven", "4.1.0 = 4.1.0.RELEASE"): "univers keeps 'release' as a qualifier",
    ("Maven", "5.2.0 = 5.2.0.RELEASE"): "univers keeps 'release' as a qualifier",
    ("Maven", "v0.0.5 < 0.0.1.beta6"): "a leading 'v' is not a Maven version prefix to univers",
    ("Maven", "v6.4.0-RC6 < 5.0.0.M1"): "a leading 'v' is not a Maven version prefix to univers",
    ("SemVer", "1.2.3-beta+build = 1.2.3-beta+otherbuild"): "univers compares build metadata",
    ("SemVer", "1.2.3+build = 1.2.3+otherbuild"): "univers compares build metadata",
    ("SemVer", "v1.2.3+build = 1.2.3+otherbuild"): "univers compares build metadata",
}


def _files() -> list[object]:
    if not VECTORS.is_dir():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason="no shared data folder"))]
    return [
        pytest.param(ecosystem, name, id=name)
        for ecosystem, names in FILES.items()
        for name in names
    ]


def _lines(name: str) -> list[str]:
    lines = []
    for raw in (VECTORS / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        # a few RubyGems lines compare versions that contain spaces: not ours
        if line and not line.startswith(("#", "//")) and line.count(" ") == 2:
            lines.append(line)
    return lines


def _class(ecosystem: str) -> type:
    return SEMVER if ecosystem == "SemVer" else BY_OSV[ecosystem].version_class


def _fails_closed(ecosystem: str, version: str) -> bool:
    """A version the ordering rejects is reported for review against any range of its package."""
    osv = "npm" if ecosystem == "SemVer" else ecosystem
    eco = BY_OSV[osv]
    record = {
        "id": "R",
        "affected": [
            {
                "package": {"ecosystem": osv, "name": "p"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}
                ],
            }
        ],
    }
    index = AdvisoryIndex.build([(record, "test")])
    purl = PackageURL(
        type=eco.purl_type, namespace="g" if osv == "Maven" else None, name="p", version=version
    ).to_string()
    if osv == "Maven":
        record["affected"][0]["package"]["name"] = "g:p"  # type: ignore[index]
        index = AdvisoryIndex.build([(record, "test")])
    (result,) = scan([Component("p", None, purl, None)], index)
    return [h.reason for v in result.vulnerabilities for h in v.hits] == ["unordered"]


@pytest.mark.parametrize(("ecosystem", "name"), _files())
def test_version_ordering_vectors(ecosystem: str, name: str) -> None:
    cls = _class(ecosystem)
    index = AdvisoryIndex()  # the keys the matcher compares, as it parses and caches them
    wrong, rejected = [], set()
    lines = _lines(name)
    for line in lines:
        match = LINE.match(line)
        assert match, line
        left, op, right = match.groups()
        a, b = index.version(cls, left), index.version(cls, right)
        if a is None or b is None:
            rejected.update(t for t, k in ((left, a), (right, b)) if k is None)
            continue
        if not {"<": a < b, ">": a > b, "=": a == b}[op]:
            wrong.append(line)
    known = {line for (eco, line) in KNOWN if eco == ecosystem}
    assert set(wrong) <= known, f"orderings that disagree with {name}: {sorted(set(wrong) - known)}"
    assert len(lines) - len(wrong) > 0.95 * len(lines)
    # a version the ordering rejects is reported for review, never silently cleared
    for text in sorted(rejected)[:25]:
        assert _fails_closed(ecosystem, text), text


def test_the_known_disagreements_still_disagree() -> None:
    """When univers fixes one, drop it from KNOWN (and from docs/supply-chain.md)."""
    if not VECTORS.is_dir():
        pytest.skip("no shared data folder")
    for ecosystem, line in KNOWN:
        match = LINE.match(line)
        assert match
        left, op, right = match.groups()
        index = AdvisoryIndex()
        a, b = index.version(_class(ecosystem), left), index.version(_class(ecosystem), right)
        assert not {"<": a < b, ">": a > b, "=": a == b}[op], line


def _purl_cases() -> list[object]:
    if not PURL_TESTS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason="no shared data folder"))]
    cases: list[object] = []
    for purl_type in sorted(BY_PURL_TYPE):
        path = PURL_TESTS / f"{purl_type}-test.json"
        for case in json.loads(path.read_text(encoding="utf-8"))["tests"]:
            if case["test_type"] == "parse":
                cases.append(pytest.param(case, id=f"{purl_type}:{case['input']}"))
    return cases


@pytest.mark.parametrize("case", _purl_cases())
def test_purl_spec_parse_vectors(case: dict[str, object]) -> None:
    text = str(case["input"])
    if case["expected_failure"]:
        if text == "pkg:gem/jruby-launcher@1.1.2?Platform=java":
            pytest.xfail("packageurl-python accepts upper-case qualifier keys")
        with pytest.raises(ValueError):
            PackageURL.from_string(text)
        return
    purl = PackageURL.from_string(text)
    expected = case["expected_output"]
    assert isinstance(expected, dict)
    got = {
        "type": purl.type,
        "namespace": purl.namespace,
        "name": purl.name,
        "version": purl.version,
        "qualifiers": purl.qualifiers or None,
        "subpath": purl.subpath,
    }
    assert got == expected
    # the package name the matcher looks up is the ecosystem's normalised OSV name
    ecosystem = BY_PURL_TYPE[purl.type]
    name = osv_name(ecosystem, purl.namespace, purl.name)
    assert name == ecosystem.normalise(name)
    if purl.namespace:
        assert name.endswith(ecosystem.normalise(purl.name))
        assert ecosystem.namespace_separator in name


def test_the_data_driven_cases_are_many() -> None:
    if not VECTORS.is_dir():
        pytest.skip("no shared data folder")
    assert sum(len(_lines(name)) for names in FILES.values() for name in names) > 30_000
    assert len(_purl_cases()) >= 40


def test_paths_exist() -> None:
    if not VECTORS.is_dir():
        pytest.skip("no shared data folder")
    for names in FILES.values():
        for name in names:
            assert Path(VECTORS / name).is_file(), name
