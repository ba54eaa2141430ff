"""SBOM import: CycloneDX JSON and XML, SPDX JSON and tag-value; malformed files are refused
with one clear error naming the place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from finres.core.supply_chain import InputError, load_sbom

from ..conftest import SHARED

SBOMS = SHARED / "data" / "sbom"
needs_data = pytest.mark.skipif(not SBOMS.is_dir(), reason="the shared data folder is not here")


def cdx(version: str = "1.6", components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": version,
        "version": 1,
        "components": components
        if components is not None
        else [
            {
                "type": "library",
                "name": "requests",
                "version": "2.19.0",
                "purl": "pkg:pypi/requests@2.19.0",
                "bom-ref": "r",
                "components": [{"type": "library", "name": "urllib3", "version": "1.23"}],
            }
        ],
    }


def write(tmp_path: Path, name: str, content: str | dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def message(path: Path) -> str:
    with pytest.raises(InputError) as error:
        load_sbom(path)
    return error.value.message("en")


@pytest.mark.parametrize("version", ["1.2", "1.3", "1.4", "1.5", "1.6"])
def test_cyclonedx_json_every_version_with_nested_components(tmp_path: Path, version: str) -> None:
    sbom = load_sbom(write(tmp_path, "bom.json", cdx(version)))
    assert (sbom.format, sbom.spec_version) == ("CycloneDX", version)
    assert [(c.name, c.version, c.purl, c.ref) for c in sbom.components] == [
        ("requests", "2.19.0", "pkg:pypi/requests@2.19.0", "r"),
        ("urllib3", "1.23", None, None),
    ]


@pytest.mark.parametrize("version", ["1.2", "1.4", "1.6"])
def test_cyclonedx_xml(tmp_path: Path, version: str) -> None:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/{version}" version="1">
  <components>
    <component type="library" bom-ref="a">
      <name>lodash</name><version>4.17.20</version><purl>pkg:npm/lodash@4.17.20</purl>
    </component>
    <component type="library"><name>left-pad</name><version>1.0.0</version></component>
  </components>
</bom>"""
    sbom = load_sbom(write(tmp_path, "bom.xml", xml))
    assert sbom.spec_version == version
    assert [(c.name, c.purl, c.ref) for c in sbom.components] == [
        ("lodash", "pkg:npm/lodash@4.17.20", "a"),
        ("left-pad", None, None),
    ]


def test_spdx_json_and_tag_value(tmp_path: Path) -> None:
    document = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "demo",
        "documentNamespace": "https://example.com/demo",
        "creationInfo": {"creators": ["Tool: test"], "created": "2026-01-01T00:00:00Z"},
        "packages": [
            {
                "name": "jinja2",
                "SPDXID": "SPDXRef-jinja2",
                "versionInfo": "2.10",
                "downloadLocation": "NOASSERTION",
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": "pkg:pypi/jinja2@2.10",
                    }
                ],
            }
        ],
    }
    sbom = load_sbom(write(tmp_path, "sbom.spdx.json", document))
    assert (sbom.format, sbom.spec_version) == ("SPDX", "2.3")
    assert [(c.name, c.version, c.purl, c.ref) for c in sbom.components] == [
        ("jinja2", "2.10", "pkg:pypi/jinja2@2.10", "SPDXRef-jinja2")
    ]
    tag_value = """SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: demo
DocumentNamespace: https://example.com/demo
Creator: Tool: test
Created: 2026-01-01T00:00:00Z

PackageName: jinja2
SPDXID: SPDXRef-jinja2
PackageVersion: 2.10
PackageDownloadLocation: NOASSERTION
ExternalRef: PACKAGE-MANAGER purl pkg:pypi/jinja2@2.10
"""
    sbom = load_sbom(write(tmp_path, "sbom.spdx", tag_value))
    assert [(c.name, c.purl) for c in sbom.components] == [("jinja2", "pkg:pypi/jinja2@2.10")]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.json", '{"bomFormat": "CycloneDX",', "line 1, column 27: not valid JSON"),
        (
            "b.json",
            cdx("1.6", [{"type": "library"}]),
            'components[0]: does not follow the CycloneDX 1.6 schema: "name" is a required'
            " property",
        ),
        ("c.json", cdx("1.6", [{"type": "gadget", "name": "x"}]), "components[0].type"),
        ("d.json", cdx("2.0"), "specVersion: unsupported CycloneDX specVersion '2.0'"),
        ("e.json", {"hello": "world"}, "bomFormat: not an SBOM"),
        ("f.json", "[1, 2]", "/: an SBOM is a JSON object"),
        ("g.txt", "name,version\n", "not an SBOM: expected CycloneDX"),
        (
            "h.xml",
            '<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components>',
            "line 1, column 62: not well-formed XML",
        ),
        (
            "i.xml",
            '<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components>'
            '<component type="library"><name>x</name><oops/></component></components></bom>',
            "line 1: does not follow the CycloneDX 1.4 schema: Element 'oops': This element is"
            " not expected",
        ),
        ("j.xml", "<project><name>x</name></project>", "not a CycloneDX SBOM"),
        (
            "k.xml",
            '<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY x "boom">]>'
            '<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components/></bom>',
            "document type declaration",
        ),
        (
            "l.spdx.json",
            {"spdxVersion": "SPDX-2.3", "packages": [{"name": 3}]},
            "not a valid SPDX document",
        ),
    ],
)
def test_a_malformed_sbom_is_one_clear_error(
    tmp_path: Path, name: str, content: str | dict[str, Any], expected: str
) -> None:
    path = write(tmp_path, name, content)
    text = message(path)
    assert text.startswith(str(path))
    assert expected in text


def test_a_missing_file(tmp_path: Path) -> None:
    assert "No such file" in message(tmp_path / "nothing.json")


@needs_data
@pytest.mark.parametrize(
    ("relative", "fmt", "version", "count"),
    [
        ("cyclonedx/bom-examples/SBOM/keycloak-10.0.2/bom.json", "CycloneDX", "1.2", 903),
        ("cyclonedx/bom-examples/SBOM/dropwizard-1.3.15/bom.json", "CycloneDX", "1.2", 167),
        ("cyclonedx/bom-examples/SBOM/dropwizard-1.3.15/bom.xml", "CycloneDX", "1.2", 167),
        ("cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.4.json", "CycloneDX", "1.4", 62),
        ("osv-scanner-fixtures/bad-purls.cdx.xml", "CycloneDX", "1.4", 16),
        ("osv-scanner-fixtures/postgres-stretch.cdx.xml", "CycloneDX", "1.4", 137),
        ("osv-scanner-fixtures/only-unimportant.spdx.json", "SPDX", "2.3", 1),
    ],
)
def test_real_sboms(relative: str, fmt: str, version: str, count: int) -> None:
    sbom = load_sbom(SBOMS / relative)
    assert (sbom.format, sbom.spec_version, len(sbom.components)) == (fmt, version, count)


@needs_data
def test_the_json_and_xml_forms_of_one_real_sbom_agree() -> None:
    folder = SBOMS / "cyclonedx/bom-examples/SBOM/dropwizard-1.3.15"
    as_json, as_xml = load_sbom(folder / "bom.json"), load_sbom(folder / "bom.xml")
    assert [(c.name, c.version, c.purl) for c in as_json.components] == [
        (c.name, c.version, c.purl) for c in as_xml.components
    ]


@needs_data
@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        # real SBOMs that break their own schema
        ("osv-scanner-fixtures/alpine-zlib-16.cdx.json", "metadata.component.type"),
        (
            "osv-scanner-fixtures/with-duplicates.cdx.xml",
            "line 584: does not follow the CycloneDX 1.4 schema",
        ),
    ],
)
def test_real_invalid_sboms_are_refused_with_the_place(relative: str, expected: str) -> None:
    assert expected in message(SBOMS / relative)


CDX_TESTS = SHARED / "data" / "cyclonedx-schema" / "test-resources" / "1.6"


@pytest.mark.skipif(not CDX_TESTS.is_dir(), reason="the shared data folder is not here")
def test_the_official_cyclonedx_1_6_test_boms() -> None:
    """Every valid-* document of the specification's tests loads; every invalid-* is refused."""
    files = sorted(CDX_TESTS.glob("*.json"))
    assert len(files) >= 70
    for path in files:
        if path.name.startswith("valid-"):
            load_sbom(path)
        else:
            assert path.name.startswith("invalid-")
            assert message(path).startswith(str(path)), path.name
