from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest

from finres.core.library import CONTENT_DIR, load_library
from finres.core.oscal import export_catalog


@pytest.fixture(scope="session")
def catalog_validator(shared_dir: Path):
    schema_path = shared_dir / "data" / "oscal" / "schemas-1.2.1" / "oscal_catalog_schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    # jsonschema-rs understands the \p{L} / \p{N} classes of OSCAL's token pattern.
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def assert_valid(validator, document: dict) -> None:
    errors = [
        f"{'/'.join(map(str, e.instance_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]
    assert errors == []


def test_the_validator_rejects_an_invalid_catalog(catalog_validator) -> None:
    assert not catalog_validator.is_valid({"catalog": {"uuid": "nope", "metadata": {}}})
    bad_token = {
        "catalog": {
            "uuid": "3a8b4f5e-7c1d-4e2a-9b6f-0d1e2f3a4b5c",
            "metadata": {
                "title": "t",
                "last-modified": "2024-01-01T00:00:00Z",
                "version": "1",
                "oscal-version": "1.2.1",
            },
            "controls": [{"id": "1-starts-with-digit", "title": "x"}],
        }
    }
    assert not catalog_validator.is_valid(bad_token)


def test_demo_export_is_valid_and_shaped(demo_library, catalog_validator) -> None:
    document = export_catalog(demo_library, "demo-rules")
    assert_valid(catalog_validator, document)
    catalog = document["catalog"]
    chapter = catalog["groups"][0]
    assert chapter["id"] == "ch-1" and chapter["title"] == "第一章"
    control = chapter["controls"][0]
    assert control["id"] == "r-all"
    props = {(p["name"], p["value"]) for p in control["props"]}
    assert ("label", "1") in props and ("obligation", "shall") in props
    statement = control["parts"][0]
    assert statement["prose"] == "公司應辦理。"
    assert statement["parts"][0]["prose"] == "The company shall do it."
    # an assessable measure at the root with an assessable child: controls nested in controls
    shared = next(c for c in catalog["controls"] if c["id"] == "m-shared")
    assert shared["controls"][0]["id"] == "m-shared.sub"


def test_export_is_reproducible(demo_library) -> None:
    assert export_catalog(demo_library, "demo-rules") == export_catalog(demo_library, "demo-rules")


SHIPPED = sorted(path.stem for path in (CONTENT_DIR / "frameworks").glob("*.yaml"))


@pytest.mark.parametrize("framework_id", SHIPPED)
def test_every_shipped_framework_exports_valid_oscal(framework_id: str, catalog_validator) -> None:
    library = load_library()
    document = export_catalog(library, framework_id)
    assert_valid(catalog_validator, document)
    exported = _ids(document["catalog"])
    assert exported == [node.id for node in _preorder(library, framework_id)]


def _ids(entry: dict) -> list[str]:
    found = []
    for key in ("groups", "controls"):
        for child in entry.get(key, []):
            found.append(child["id"])
            found += _ids(child)
    return found


def _preorder(library, framework_id: str, parent: str | None = None) -> list:
    nodes = []
    roots = library.children(framework_id, parent)
    if parent is None:  # the catalogue lists root groups before root controls
        roots = [n for n in roots if not n.assessable] + [n for n in roots if n.assessable]
    for node in roots:
        nodes.append(node)
        nodes += _preorder(library, framework_id, node.id)
    return nodes
