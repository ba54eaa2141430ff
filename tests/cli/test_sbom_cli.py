"""``finres sbom scan``: the JSON contract, the readable table in both languages, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import SHARED
from .test_cli import run, run_json

DATA = SHARED / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="the shared data folder is not here")

COMPONENT_KEYS = {"purl", "name", "version", "vulnerabilities"}
VULNERABILITY_KEYS = {"id", "aliases", "kev", "severity", "fixed", "why"}


def _advisories(tmp_path: Path) -> Path:
    folder = tmp_path / "osv"
    folder.mkdir()
    (folder / "DEMO-1.json").write_text(
        json.dumps(
            {
                "id": "DEMO-1",
                "aliases": ["CVE-2099-0001"],
                "severity": [
                    {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
                ],
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "demo-lib"},
                        "ranges": [
                            {
                                "type": "ECOSYSTEM",
                                "events": [{"introduced": "1.0"}, {"fixed": "1.5"}],
                            }
                        ],
                    }
                ],
            }
        )
    )
    return folder


def _sbom(tmp_path: Path) -> Path:
    path = tmp_path / "bom.json"
    path.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": 1,
                "components": [
                    {
                        "type": "library",
                        "name": "demo-lib",
                        "version": "1.2",
                        "purl": "pkg:pypi/demo_lib@1.2",
                        "bom-ref": "demo",
                    },
                    {"type": "library", "name": "homegrown", "version": "0.1"},
                ],
            }
        )
    )
    return path


def _kev(tmp_path: Path) -> Path:
    path = tmp_path / "kev.json"
    path.write_text(
        json.dumps({"catalogVersion": "test", "vulnerabilities": [{"cveID": "CVE-2099-0001"}]})
    )
    return path


def test_the_json_contract(capsys, tmp_path: Path) -> None:
    data = run_json(
        capsys,
        "sbom",
        "scan",
        str(_sbom(tmp_path)),
        "--osv",
        str(_advisories(tmp_path)),
        "--kev",
        str(_kev(tmp_path)),
        "--format",
        "json",
        "--lang",
        "en",
    )
    assert set(data) == {"components"}
    demo, homegrown = data["components"]
    assert set(demo) == COMPONENT_KEYS
    assert (demo["purl"], demo["name"], demo["version"]) == (
        "pkg:pypi/demo_lib@1.2",
        "demo-lib",
        "1.2",
    )
    (vulnerability,) = demo["vulnerabilities"]
    assert set(vulnerability) == VULNERABILITY_KEYS
    assert vulnerability == {
        "id": "DEMO-1",
        "aliases": ["CVE-2099-0001"],
        "kev": True,
        "severity": {
            "type": "CVSS_V3",
            "score": 9.8,
            "rating": "CRITICAL",
            "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        },
        "fixed": ["1.5"],
        "why": "DEMO-1 affects demo-lib >=1.0, <1.5 (PyPI ordering): 1.2 is in it",
    }
    assert homegrown == {"purl": None, "name": "homegrown", "version": "0.1", "vulnerabilities": []}


def test_the_why_follows_the_language(capsys, tmp_path: Path) -> None:
    data = run_json(
        capsys,
        "sbom",
        "scan",
        str(_sbom(tmp_path)),
        "--osv",
        str(_advisories(tmp_path)),
        "--format",
        "json",
    )
    (vulnerability,) = data["components"][0]["vulnerabilities"]
    assert vulnerability["kev"] is False  # no --kev given
    assert "DEMO-1" in vulnerability["why"] and "1.2" in vulnerability["why"]
    assert "影響" in vulnerability["why"]


def test_the_table_in_chinese_and_english(capsys, tmp_path: Path) -> None:
    args = [
        "sbom",
        "scan",
        str(_sbom(tmp_path)),
        "--osv",
        str(_advisories(tmp_path)),
        "--kev",
        str(_kev(tmp_path)),
    ]
    code, out, _ = run(capsys, *args)
    assert code == 0
    assert "DEMO-1" in out and "CVE-2099-0001" in out and "CISA KEV" in out
    assert "未比對的元件" in out and "homegrown" in out and "沒有 purl" in out
    code, out, _ = run(capsys, *args, "--lang", "en")
    assert code == 0
    assert "Components not matched" in out and "no purl" in out
    assert "2 components, 1 vulnerable: 1 vulnerabilities, 1 in CISA KEV" in " ".join(out.split())


def test_vex_sets_a_match_aside(capsys, tmp_path: Path) -> None:
    vex = tmp_path / "demo.openvex.json"
    vex.write_text(
        json.dumps(
            {
                "@context": "https://openvex.dev/ns/v0.2.0",
                "statements": [
                    {
                        "vulnerability": {"name": "CVE-2099-0001"},
                        "products": [{"@id": "pkg:pypi/demo-lib@1.2"}],
                        "status": "not_affected",
                        "justification": "vulnerable_code_not_in_execute_path",
                    }
                ],
            }
        )
    )
    args = [
        "sbom",
        "scan",
        str(_sbom(tmp_path)),
        "--osv",
        str(_advisories(tmp_path)),
        "--vex",
        str(vex),
        "--lang",
        "en",
    ]
    data = run_json(capsys, *args, "--format", "json")
    assert data["components"][0]["vulnerabilities"] == []
    code, out, _ = run(capsys, *args)
    assert code == 0 and "Set aside by VEX statements" in out and "not affected" in out


def test_errors_are_one_clear_line(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"type": "library"}]}
        )
    )
    osv = str(_advisories(tmp_path))
    code, out, err = run(capsys, "sbom", "scan", str(bad), "--osv", osv, "--lang", "en")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "bad.json: components[0]" in err and '"name"' in err
    code, _, err = run(
        capsys, "sbom", "scan", str(_sbom(tmp_path)), "--osv", str(tmp_path / "none")
    )
    assert code == 1 and "none" in err and "Traceback" not in err
    kev = tmp_path / "kev.json"
    kev.write_text("{}")
    code, _, err = run(
        capsys,
        "sbom",
        "scan",
        str(_sbom(tmp_path)),
        "--osv",
        osv,
        "--kev",
        str(kev),
        "--lang",
        "en",
    )
    assert code == 1 and "not a KEV catalogue" in err


@needs_data
def test_a_real_sbom_against_real_advisories(capsys) -> None:
    data = run_json(
        capsys,
        "sbom",
        "scan",
        str(DATA / "sbom/cyclonedx/bom-examples/SBOM/keycloak-10.0.2/bom.json"),
        "--osv",
        str(DATA / "osv/maven-osv-scalibr-guidedremediation/zeppelin-server/vulnerabilities.json"),
        "--osv",
        str(DATA / "osv/maven-osv-scalibr-guidedremediation/maven-classifier/vulnerabilities.json"),
        "--kev",
        str(DATA / "kev/known_exploited_vulnerabilities.json"),
        "--format",
        "json",
        "--lang",
        "en",
    )
    assert len(data["components"]) == 903
    kev_listed = {
        (c["name"], v["id"]) for c in data["components"] for v in c["vulnerabilities"] if v["kev"]
    }
    assert ("tomcat-embed-core", "GHSA-c9hw-wf7x-jp9j") in kev_listed  # Ghostcat, CVE-2020-1938


@needs_data
def test_a_folder_with_a_file_that_is_not_an_advisory_is_refused(capsys) -> None:
    code, _, err = run(
        capsys,
        "sbom",
        "scan",
        str(DATA / "sbom/cyclonedx/bom-examples/SBOM/dropwizard-1.3.15/bom.xml"),
        "--osv",
        str(DATA / "osv/maven-osv-scalibr-guidedremediation"),
        "--lang",
        "en",
    )
    assert code == 1 and "patches.json" in err and "id: expected a non-empty string" in err
