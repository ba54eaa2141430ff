"""OSV range evaluation, KEV join, severity and VEX: hand-made cases for every event kind,
property tests, and real advisories and SBOMs from the shared data folder."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finres.core.supply_chain import (
    AdvisoryIndex,
    Component,
    InputError,
    Kev,
    Vex,
    load_index,
    load_kev,
    load_sbom,
    scan,
    scan_data,
)
from finres.core.supply_chain.ecosystems import BY_OSV
from finres.core.supply_chain.vex import load_vex

from ..conftest import SHARED

DATA = SHARED / "data"
PYPA = DATA / "osv" / "pypi-pypa-advisory-database"
KEV_JSON = DATA / "kev" / "known_exploited_vulnerabilities.json"
KEV_CSV = DATA / "kev" / "known_exploited_vulnerabilities.csv"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="the shared data folder is not here")


def record(
    identifier: str = "TEST-1",
    events: list[dict[str, str]] | None = None,
    *,
    versions: list[str] | None = None,
    ecosystem: str = "PyPI",
    name: str = "demo",
    kind: str = "ECOSYSTEM",
    aliases: list[str] | None = None,
    severity: list[dict[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}}
    if events is not None:
        affected["ranges"] = [{"type": kind, "events": events}]
    if versions is not None:
        affected["versions"] = versions
    data: dict[str, Any] = {"id": identifier, "affected": [affected], **extra}
    if aliases:
        data["aliases"] = aliases
    if severity:
        data["severity"] = severity
    return data


def index_of(*records: dict[str, Any]) -> AdvisoryIndex:
    return AdvisoryIndex.build((r, "test") for r in records)


def ids(index: AdvisoryIndex, purl: str, **kwargs: Any) -> list[str]:
    (result,) = scan([Component("c", None, purl, None)], index, **kwargs)
    return [v.id for v in result.vulnerabilities]


def data_of(index: AdvisoryIndex, purl: str, **kwargs: Any) -> dict[str, Any]:
    results = scan([Component("c", None, purl, None)], index, **kwargs)
    return scan_data(results, "en")["components"][0]


# --- every event kind ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "events", "affected"),
    [
        ("1.0", [{"introduced": "0"}, {"fixed": "1.1"}], True),
        ("1.1", [{"introduced": "0"}, {"fixed": "1.1"}], False),
        ("1.1.0", [{"introduced": "0"}, {"fixed": "1.1"}], False),  # PEP 440: 1.1.0 == 1.1
        ("0.9", [{"introduced": "1.0"}], False),
        ("1.0", [{"introduced": "1.0"}], True),
        ("9.0", [{"introduced": "1.0"}], True),  # never fixed
        ("1.2", [{"introduced": "1.0"}, {"last_affected": "1.2"}], True),
        ("1.2.1", [{"introduced": "1.0"}, {"last_affected": "1.2"}], False),
        # limit bounds the range from above
        ("1.5", [{"introduced": "1.0"}, {"limit": "2.0"}], True),
        ("2.0", [{"introduced": "1.0"}, {"limit": "2.0"}], False),
        ("3.0", [{"introduced": "0"}, {"limit": "*"}], True),
        # two intervals listed out of order: sorted before evaluation
        (
            "5.0.3",
            [{"introduced": "5.0"}, {"fixed": "5.0.8"}, {"introduced": "4.2"}, {"fixed": "4.2.15"}],
            True,
        ),
        (
            "4.2.20",
            [{"introduced": "5.0"}, {"fixed": "5.0.8"}, {"introduced": "4.2"}, {"fixed": "4.2.15"}],
            False,
        ),
        (
            "4.2.3",
            [{"introduced": "5.0"}, {"fixed": "5.0.8"}, {"introduced": "4.2"}, {"fixed": "4.2.15"}],
            True,
        ),
        # an empty interval (introduced and fixed at the same version)
        ("1.0", [{"introduced": "1.0"}, {"fixed": "1.0"}], False),
        # pre-releases order before their release
        ("2.0rc1", [{"introduced": "0"}, {"fixed": "2.0"}], True),
        ("2.0.post1", [{"introduced": "0"}, {"fixed": "2.0"}], False),
    ],
)
def test_ecosystem_range_events(version: str, events: list[dict[str, str]], affected: bool) -> None:
    index = index_of(record(events=events))
    assert ids(index, f"pkg:pypi/demo@{version}") == (["TEST-1"] if affected else [])


def test_semver_ranges_use_semver_whatever_the_ecosystem() -> None:
    index = index_of(
        record(
            events=[{"introduced": "1.0.0-alpha"}, {"fixed": "1.0.0"}],
            kind="SEMVER",
            ecosystem="npm",
        )
    )
    assert ids(index, "pkg:npm/demo@1.0.0-beta.2") == ["TEST-1"]
    assert ids(index, "pkg:npm/demo@1.0.0") == []
    assert ids(index, "pkg:npm/demo@0.9.9") == []


def test_explicit_versions_list_and_its_fixed_versions() -> None:
    index = index_of(
        record(versions=["1.0", "1.3"], events=[{"introduced": "2.0"}, {"fixed": "2.1"}])
    )
    data = data_of(index, "pkg:pypi/demo@1.3")
    (vulnerability,) = data["vulnerabilities"]
    assert vulnerability["fixed"] == ["2.1"]
    assert "lists demo 1.3 among its affected versions" in vulnerability["why"]
    assert ids(index, "pkg:pypi/demo@1.2") == []


def test_git_ranges_are_not_evaluated_but_never_cleared() -> None:
    # GIT ranges beside an ECOSYSTEM range or a versions list: those decide
    beside = record("G-1", events=[{"introduced": "0"}, {"fixed": "2.0"}])
    beside["affected"][0]["ranges"].append(
        {
            "type": "GIT",
            "repo": "https://example.com/r",
            "events": [{"introduced": "0"}, {"fixed": "abc123"}],
        }
    )
    listed = record(
        "G-2", events=[{"introduced": "0"}, {"fixed": "abc123"}], kind="GIT", versions=["0.5"]
    )
    index = index_of(beside, listed)
    assert ids(index, "pkg:pypi/demo@2.1") == []
    assert ids(index, "pkg:pypi/demo@1.0") == ["G-1"]
    # only GIT ranges and no versions: cannot be decided offline, so reported for review
    alone = index_of(record("G-3", events=[{"introduced": "0"}, {"fixed": "abc123"}], kind="GIT"))
    (vulnerability,) = data_of(alone, "pkg:pypi/demo@1.0")["vulnerabilities"]
    assert vulnerability["id"] == "G-3" and vulnerability["fixed"] == []
    assert "only commit (GIT) ranges" in vulnerability["why"]


def test_withdrawn_advisories_are_skipped() -> None:
    index = index_of(record(events=[{"introduced": "0"}], withdrawn="2024-01-01T00:00:00Z"))
    assert ids(index, "pkg:pypi/demo@1.0") == []
    assert index.stats.withdrawn == 1


def test_a_version_that_cannot_be_ordered_is_reported_for_review() -> None:
    index = index_of(record(events=[{"introduced": "0"}, {"fixed": "2.0"}]))
    data = data_of(index, "pkg:pypi/demo@not.a.version-%21")
    (vulnerability,) = data["vulnerabilities"]
    assert "cannot be ordered as PyPI" in vulnerability["why"]


def test_the_why_names_advisory_range_and_version() -> None:
    index = index_of(record(events=[{"introduced": "1.0"}, {"fixed": "1.4.2"}]))
    (vulnerability,) = data_of(index, "pkg:pypi/demo@1.2")["vulnerabilities"]
    assert vulnerability["why"] == "TEST-1 affects demo >=1.0, <1.4.2 (PyPI ordering): 1.2 is in it"
    assert vulnerability["fixed"] == ["1.4.2"]


# --- names and ecosystems --------------------------------------------------------------------


def test_pypi_names_are_normalised_both_sides() -> None:
    index = index_of(record(name="Zope.Interface_Extra", events=[{"introduced": "0"}]))
    assert ids(index, "pkg:pypi/zope-interface-extra@1.0") == ["TEST-1"]
    assert ids(index, "pkg:PyPI/ZOPE_interface.extra@1.0") == ["TEST-1"]


def test_scoped_npm_maven_and_go_names() -> None:
    index = index_of(
        record(
            "N",
            name="@angular/core",
            ecosystem="npm",
            events=[{"introduced": "0"}, {"fixed": "11.0.5"}],
        ),
        record(
            "M",
            name="org.yaml:snakeyaml",
            ecosystem="Maven",
            events=[{"introduced": "0"}, {"fixed": "1.31"}],
        ),
        record(
            "G",
            name="golang.org/x/net",
            ecosystem="Go",
            events=[{"introduced": "0"}, {"fixed": "0.7.0"}],
        ),
    )
    assert ids(index, "pkg:npm/%40angular/core@11.0.4") == ["N"]
    assert ids(index, "pkg:npm/%40angular/core@11.0.5") == []
    assert ids(index, "pkg:maven/org.yaml/snakeyaml@1.30?type=jar") == ["M"]
    assert ids(index, "pkg:maven/org.yaml/snakeyaml@1.31") == []
    assert ids(index, "pkg:golang/golang.org/x/net@v0.6.0") == ["G"]  # Go's v prefix
    assert ids(index, "pkg:golang/golang.org/x/net@v0.7.0") == []
    # the same name in another ecosystem is another package
    assert ids(index, "pkg:pypi/snakeyaml@1.0") == []


def test_maven_orders_qualifiers_as_maven_does() -> None:
    index = index_of(
        record(
            name="io.netty:netty-codec",
            ecosystem="Maven",
            events=[{"introduced": "4.1.0"}, {"fixed": "4.1.46.Final"}],
        )
    )
    assert ids(index, "pkg:maven/io.netty/netty-codec@4.1.45.Final") == ["TEST-1"]
    assert ids(index, "pkg:maven/io.netty/netty-codec@4.1.46.Final") == []
    assert ids(index, "pkg:maven/io.netty/netty-codec@4.1.100.Final") == []  # not string order


def test_components_that_cannot_be_matched_have_a_reason() -> None:
    index = index_of(record(events=[{"introduced": "0"}]))
    components = [
        Component("no-purl", "1.0", None, None),
        Component("bad", "1.0", "pkg:pypi/", None),
        Component("deb", "1.0", "pkg:deb/debian/openssl@1.1", None),
        Component("no-version", None, "pkg:pypi/demo", None),
        Component("from-sbom-version", "1.0", "pkg:pypi/demo", None),
    ]
    results = scan(components, index)
    assert [r.note[0] if r.note else None for r in results] == [
        "no_purl",
        "invalid_purl",
        "unsupported_ecosystem",
        "no_version",
        None,
    ]
    assert [v.id for v in results[-1].vulnerabilities] == ["TEST-1"]
    assert all(c["vulnerabilities"] == [] for c in scan_data(results[:4], "en")["components"])


# --- KEV, severity, ordering -----------------------------------------------------------------


def test_kev_joins_through_aliases_and_sorts_first() -> None:
    index = index_of(
        record(
            "A-1",
            events=[{"introduced": "0"}],
            aliases=["CVE-2021-0001"],
            severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        ),
        record(
            "A-2",
            events=[{"introduced": "0"}],
            aliases=["GHSA-xxxx", "CVE-2021-0002"],
            severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}],
        ),
    )
    kev = Kev(frozenset({"CVE-2021-0002"}))
    data = data_of(index, "pkg:pypi/demo@1.0", kev=kev)
    assert [(v["id"], v["kev"]) for v in data["vulnerabilities"]] == [("A-2", True), ("A-1", False)]
    assert data["vulnerabilities"][1]["severity"] == {
        "type": "CVSS_V3",
        "score": 9.8,
        "rating": "CRITICAL",
        "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    }


def test_cvss_v4_is_preferred_and_a_bad_vector_is_no_severity() -> None:
    v3 = {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
    v4 = {
        "type": "CVSS_V4",
        "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    }
    index = index_of(
        record("B-1", events=[{"introduced": "0"}], severity=[v3, v4]),
        record(
            "B-2", events=[{"introduced": "0"}], severity=[{"type": "CVSS_V3", "score": "garbage"}]
        ),
    )
    by_id = {v["id"]: v for v in data_of(index, "pkg:pypi/demo@1.0")["vulnerabilities"]}
    assert by_id["B-1"]["severity"]["type"] == "CVSS_V4"
    assert by_id["B-1"]["severity"]["score"] == 9.3
    assert by_id["B-2"]["severity"] is None


# --- VEX -------------------------------------------------------------------------------------


def test_cyclonedx_vex_by_bom_ref_and_openvex_by_purl(tmp_path: Path) -> None:
    index = index_of(
        record("V-1", events=[{"introduced": "0"}], aliases=["CVE-2022-1111"]),
        record("V-2", events=[{"introduced": "0"}], aliases=["CVE-2022-2222"]),
        record("V-3", events=[{"introduced": "0"}]),
    )
    cdx = tmp_path / "vex.cdx.json"
    cdx.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.5",
                "vulnerabilities": [
                    {
                        "id": "CVE-2022-1111",
                        "analysis": {
                            "state": "not_affected",
                            "justification": "code_not_reachable",
                        },
                        "affects": [
                            {"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#demo-ref"}
                        ],
                    },
                    {
                        "id": "V-3",
                        "analysis": {"state": "exploitable"},
                        "affects": [{"ref": "demo-ref"}],
                    },
                ],
            }
        )
    )
    openvex = tmp_path / "vex.openvex.json"
    openvex.write_text(
        json.dumps(
            {
                "@context": "https://openvex.dev/ns/v0.2.0",
                "statements": [
                    {
                        "vulnerability": {"name": "CVE-2022-2222"},
                        "products": [{"@id": "pkg:pypi/demo"}],
                        "status": "fixed",
                    },
                ],
            }
        )
    )
    vex = load_vex([cdx, openvex])
    (result,) = scan([Component("demo", "1.0", "pkg:pypi/demo@1.0", "demo-ref")], index, vex=vex)
    assert [v.id for v in result.vulnerabilities] == ["V-3"]  # exploitable changes nothing
    assert sorted((v.id, s.status) for v, s in result.set_aside) == [
        ("V-1", "not_affected"),
        ("V-2", "fixed"),
    ]
    # another component: the statements do not reach it
    (other,) = scan(
        [Component("demo", "1.0", "pkg:pypi/demo@1.0", "other")], index, vex=load_vex([cdx])
    )
    assert {v.id for v in other.vulnerabilities} == {"V-1", "V-2", "V-3"}


def test_a_file_that_is_not_vex_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(InputError, match="not a VEX document"):
        load_vex([path])
    assert Vex().statement(("X",), None, None) is None


# --- loading advisories ----------------------------------------------------------------------


def test_zip_dump_folder_and_api_answer(tmp_path: Path) -> None:
    dump = tmp_path / "all.zip"
    with zipfile.ZipFile(dump, "w") as archive:
        archive.writestr("Z-1.json", json.dumps(record("Z-1", events=[{"introduced": "0"}])))
    (tmp_path / "answer.json").write_text(
        json.dumps({"vulns": [record("Z-2", events=[{"introduced": "0"}])]})
    )
    index = load_index([tmp_path])
    assert sorted(ids(index, "pkg:pypi/demo@1.0")) == ["Z-1", "Z-2"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}, '
            '"ranges": [{"type": "ECOSYSTEM", "events": [{"fixd": "1"}]}]}]}',
            "affected[0].ranges[0].events[0]: unknown event 'fixd'",
        ),
        ('{"affected": []}', "id: expected a non-empty string"),
        ('{"id": "X", "affected": {"package": 1}}', "affected: expected a list"),
        ('{"id": "X",', "line 1, column 12: not valid JSON"),
    ],
)
def test_a_bad_advisory_file_is_one_error_naming_the_place(
    tmp_path: Path, content: str, message: str
) -> None:
    (tmp_path / "bad.json").write_text(content)
    with pytest.raises(InputError) as error:
        load_index([tmp_path])
    assert message in error.value.message("en")
    assert "bad.json" in error.value.message("en")


def test_an_empty_or_missing_advisory_location_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no OSV advisories"):
        load_index([tmp_path])
    with pytest.raises(InputError, match="no such file or folder"):
        load_index([tmp_path / "missing"])


# --- properties ------------------------------------------------------------------------------

release = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))


def _text(v: tuple[int, int, int]) -> str:
    return ".".join(map(str, v))


@settings(max_examples=150, deadline=None)
@given(
    ecosystem=st.sampled_from(["PyPI", "npm", "Maven", "NuGet", "RubyGems", "crates.io"]),
    bounds=st.lists(release, min_size=2, max_size=2, unique=True).map(sorted),
    version=release,
)
def test_inside_introduced_fixed_is_affected_outside_is_not(
    ecosystem: str, bounds: list[tuple[int, int, int]], version: tuple[int, int, int]
) -> None:
    low, high = bounds
    index = index_of(
        record(ecosystem=ecosystem, events=[{"fixed": _text(high)}, {"introduced": _text(low)}])
    )
    purl_type = BY_OSV[ecosystem].purl_type
    expected = low <= version < high
    assert (ids(index, f"pkg:{purl_type}/demo@{_text(version)}") == ["TEST-1"]) is expected


@settings(max_examples=100, deadline=None)
@given(bounds=st.lists(release, min_size=2, max_size=2, unique=True).map(sorted), version=release)
def test_last_affected_is_inclusive(
    bounds: list[tuple[int, int, int]], version: tuple[int, int, int]
) -> None:
    low, high = bounds
    index = index_of(record(events=[{"introduced": _text(low)}, {"last_affected": _text(high)}]))
    assert bool(ids(index, f"pkg:pypi/demo@{_text(version)}")) is (low <= version <= high)


# --- real advisories, SBOMs and the KEV catalogue --------------------------------------------


@pytest.fixture(scope="module")
def pypa() -> AdvisoryIndex:
    if not PYPA.is_dir():
        pytest.skip("the shared data folder is not here")
    return load_index([PYPA])


@needs_data
def test_the_pypa_database_against_a_python_sbom(pypa: AdvisoryIndex, tmp_path: Path) -> None:
    sbom = tmp_path / "python.cdx.json"
    sbom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.5",
                "version": 1,
                "components": [
                    {
                        "type": "library",
                        "name": "Django",
                        "version": "3.2.0",
                        "purl": "pkg:pypi/django@3.2.0",
                    },
                    {
                        "type": "library",
                        "name": "requests",
                        "version": "2.31.0",
                        "purl": "pkg:pypi/requests@2.31.0",
                    },
                    {
                        "type": "library",
                        "name": "requests",
                        "version": "2.19.0",
                        "purl": "pkg:pypi/requests@2.19.0",
                    },
                    {"type": "library", "name": "internal-tool", "version": "1.0"},
                ],
            }
        )
    )
    stats = pypa.stats
    assert stats.records == 2661 and stats.withdrawn == 10
    data = scan_data(scan(load_sbom(sbom).components, pypa, load_kev(KEV_JSON)), "en")
    django, requests_new, requests_old, internal = data["components"]
    by_id = {v["id"]: v for v in django["vulnerabilities"]}
    # CVE-2021-35042: QuerySet.order_by SQL injection, fixed in 3.2.5
    assert by_id["PYSEC-2021-109"]["fixed"] == ["3.2.5"]
    assert "CVE-2021-35042" in by_id["PYSEC-2021-109"]["aliases"]
    assert len(django["vulnerabilities"]) >= 20
    assert requests_new["vulnerabilities"] == [] or all(
        "2.31.0 is in it" in v["why"] for v in requests_new["vulnerabilities"]
    )
    old_ids = {v["id"] for v in requests_old["vulnerabilities"]}
    assert {"PYSEC-2018-28", "PYSEC-2023-74"} <= old_ids  # CVE-2018-18074, CVE-2023-32681
    assert "PYSEC-2023-74" not in {v["id"] for v in requests_new["vulnerabilities"]}
    assert internal["purl"] is None and internal["vulnerabilities"] == []


@needs_data
def test_a_real_maven_sbom_against_ghsa_records_and_kev() -> None:
    index = load_index(
        [DATA / "osv/maven-osv-scalibr-guidedremediation/zeppelin-server/vulnerabilities.json"]
    )
    sbom = load_sbom(DATA / "sbom/cyclonedx/bom-examples/SBOM/keycloak-10.0.2/bom.json")
    assert len(sbom.components) == 903
    data = scan_data(scan(sbom.components, index, load_kev(KEV_JSON)), "en")
    hits = {
        (c["name"], c["version"]): {v["id"]: v for v in c["vulnerabilities"]}
        for c in data["components"]
        if c["vulnerabilities"]
    }
    # Ghostcat (CVE-2020-1938) is in CISA KEV: tomcat-embed-core 8.5.34 is affected, fixed in 8.5.51
    ghostcat = hits[("tomcat-embed-core", "8.5.34")]["GHSA-c9hw-wf7x-jp9j"]
    assert ghostcat["kev"] is True and ghostcat["fixed"] == ["8.5.51"]
    assert ghostcat["severity"]["rating"] == "CRITICAL"
    assert "8.5.34 is in it" in ghostcat["why"]
    first = next(iter(hits[("tomcat-embed-core", "8.5.34")].values()))
    assert first["kev"] is True  # KEV-listed first


@needs_data
def test_the_kev_catalogue_in_json_and_csv() -> None:
    as_json, as_csv = load_kev(KEV_JSON), load_kev(KEV_CSV)
    assert len(as_json.cves) == 1404 and as_json.cves == as_csv.cves
    assert "CVE-2021-44228" in as_json.cves  # Log4Shell
    assert as_json.version == "2025.08.25"


def test_a_bad_kev_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "kev.json"
    bad.write_text('{"vulnerabilities": [{"cveID": "CVE-2021-44228"}, {"cveID": "log4shell"}]}')
    with pytest.raises(InputError, match=r"vulnerabilities\[1\]\.cveID: not a CVE id"):
        load_kev(bad)
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="cveID column"):
        load_kev(bad)


@needs_data
def test_the_real_cyclonedx_vex_example_sets_its_cve_aside() -> None:
    index = load_index(
        [DATA / "osv/maven-osv-scalibr-guidedremediation/zeppelin-server/vulnerabilities.json"]
    )
    folder = DATA / "sbom/cyclonedx/bom-examples/VEX"
    sbom = load_sbom(folder / "bom.json")
    databind = [c for c in sbom.components if c.name == "jackson-databind"]
    (before,) = scan(databind, index)
    cve = [v.id for v in before.vulnerabilities if "CVE-2020-25649" in v.aliases]
    assert cve, "the advisories list CVE-2020-25649 for jackson-databind 2.10.0"
    (after,) = scan(databind, index, vex=load_vex([folder / "vex.json"]))
    assert [v.id for v, _ in after.set_aside] == cve
    assert {s.vulnerability for _, s in after.set_aside} == {"CVE-2020-25649"}
    assert len(after.vulnerabilities) == len(before.vulnerabilities) - len(cve)
