"""SBOM import: CycloneDX (JSON 1.2–1.7, XML 1.0–1.7) and SPDX 2.2/2.3 (JSON and tag-value).

A file is validated whole before anything is read from it, and a bad file is one
:class:`InputError` naming the place (a JSON path, an XML line, an SPDX element):

- CycloneDX JSON against the official JSON schema of its ``specVersion`` (the schema files
  bundled with cyclonedx-python-lib, evaluated by jsonschema-rs: the pure-Python validator
  takes seconds on a large SBOM);
- CycloneDX XML against the official XSD of its namespace (lxml, with a parser that loads no
  DTD, resolves no entity and reaches no network);
- SPDX through spdx-tools' parser and its full document validation.

What comes out is the list of components with their name, version, purl and reference
(``bom-ref`` or ``SPDXID``), in document order, nested CycloneDX components included. The
component that the SBOM describes (CycloneDX ``metadata.component``) is not one of them.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from finres.core.supply_chain.errors import InputError, json_place, parse_json

MAX_BYTES: Final = 100 * 1024 * 1024
_CDX_NAMESPACE: Final = re.compile(r"^\{http://cyclonedx\.org/schema/bom/(\d+\.\d+)\}bom$")
_JSON_SCHEMA_BASE: Final = "http://cyclonedx.org/schema/"


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    version: str | None
    purl: str | None
    ref: str | None  # bom-ref (CycloneDX) or SPDXID (SPDX)


@dataclass(frozen=True, slots=True)
class Sbom:
    format: str  # "CycloneDX" or "SPDX"
    spec_version: str
    components: tuple[Component, ...]
    serial_number: str | None = None
    document: dict[str, Any] | None = None  # the CycloneDX JSON, for embedded VEX


def load_sbom(path: Path) -> Sbom:
    """Read and validate an SBOM file of any supported format (recognised by its content)."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(source, error.strerror or str(error)) from None
    if len(raw) > MAX_BYTES:
        raise InputError(source, f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        return _json_sbom(raw, source, path)
    if head == b"<":
        return _cyclonedx_xml(raw, source)
    if re.search(rb"^\s*SPDXVersion\s*:", raw[:4096], re.MULTILINE):
        return _spdx(path, source, "tag-value")
    raise InputError(
        source, "not an SBOM: expected CycloneDX (JSON or XML) or SPDX (JSON or tag-value)"
    )


# --- CycloneDX JSON --------------------------------------------------------------------------


def _json_sbom(raw: bytes, source: str, path: Path) -> Sbom:
    data = parse_json(raw, source)
    if not isinstance(data, dict):
        raise InputError(source, "an SBOM is a JSON object", "/")
    if "spdxVersion" in data:
        return _spdx(path, source, "json")
    if data.get("bomFormat") != "CycloneDX":
        raise InputError(
            source, "not an SBOM: neither bomFormat CycloneDX nor spdxVersion", "bomFormat"
        )
    version = validate_cyclonedx_json(data, source)
    components = tuple(_json_components(data.get("components") or []))
    serial = data.get("serialNumber")
    return Sbom("CycloneDX", str(version), components, serial, data)


def validate_cyclonedx_json(data: dict[str, Any], source: str) -> str:
    """Check a parsed CycloneDX JSON document against the official JSON schema of its
    ``specVersion`` (1.2 to 1.7); return that version, or raise :class:`InputError` naming the
    first problem and its place. Shared with the crypto inventory's CBOM import."""
    version = data.get("specVersion")
    validator = _json_validator(str(version))
    if validator is None:
        raise InputError(
            source,
            f"unsupported CycloneDX specVersion {version!r} (JSON: 1.2 to 1.7)",
            "specVersion",
        )
    for problem in validator.iter_errors(data):
        raise InputError(
            source,
            f"does not follow the CycloneDX {version} schema: {problem.message}",
            json_place(list(problem.instance_path)),
        )
    return str(version)


def _json_components(items: list[dict[str, Any]]) -> list[Component]:
    out = []
    for item in items:
        out.append(
            Component(
                item["name"],
                item.get("version") or None,
                item.get("purl") or None,
                item.get("bom-ref") or None,
            )
        )
        out.extend(_json_components(item.get("components") or []))
    return out


@functools.cache
def _json_validator(version: str) -> Any:
    import jsonschema_rs
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema._res import BOM_JSON, CRYPTOGRAPHY_DEFS, JSF, SPDX_JSON

    try:
        schema_file = BOM_JSON.get(SchemaVersion.from_version(version))
    except (ValueError, KeyError):
        return None
    if schema_file is None:
        return None

    def read(name: str) -> Any:
        return json.loads(Path(name).read_text(encoding="utf-8"))

    registry = jsonschema_rs.Registry(
        [
            (f"{_JSON_SCHEMA_BASE}spdx.SNAPSHOT.schema.json", read(SPDX_JSON)),
            (f"{_JSON_SCHEMA_BASE}jsf-0.82.SNAPSHOT.schema.json", read(JSF)),
            (f"{_JSON_SCHEMA_BASE}cryptography-defs.SNAPSHOT.schema.json", read(CRYPTOGRAPHY_DEFS)),
        ]
    )
    return jsonschema_rs.validator_for(read(schema_file), registry=registry, validate_formats=True)


# --- CycloneDX XML ---------------------------------------------------------------------------


def _safe_parser() -> Any:
    from lxml import etree  # type: ignore[import-untyped]

    return etree.XMLParser(
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        resolve_entities=False,
        huge_tree=False,
        remove_comments=True,
    )


@functools.cache
def _xml_schema(version: str) -> Any:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema._res import BOM_XML
    from lxml import etree

    try:
        schema_file = BOM_XML.get(SchemaVersion.from_version(version))
    except (ValueError, KeyError):
        return None
    if schema_file is None:
        return None
    return etree.XMLSchema(file=Path(schema_file).absolute().as_uri())


def _cyclonedx_xml(raw: bytes, source: str) -> Sbom:
    from lxml import etree

    try:
        root = etree.fromstring(raw, parser=_safe_parser())
    except etree.XMLSyntaxError as error:
        line, column = error.position
        raise InputError(
            source, f"not well-formed XML: {error.msg}", f"line {line}, column {column}"
        ) from None
    if root.getroottree().docinfo.doctype or any(
        isinstance(node, etree._Entity) for node in root.iter()
    ):
        raise InputError(source, "a document type declaration or entity is not accepted")
    match = _CDX_NAMESPACE.match(root.tag)
    if match is None:
        raise InputError(
            source, f"not a CycloneDX SBOM: the root element is {root.tag!r}", "line 1"
        )
    version = match.group(1)
    schema = _xml_schema(version)
    if schema is None:
        raise InputError(source, f"unsupported CycloneDX version {version} (XML: 1.0 to 1.7)")
    if not schema.validate(root):
        entry = schema.error_log.last_error
        message = entry.message.replace("{http://cyclonedx.org/schema/bom/" + version + "}", "")
        raise InputError(
            source,
            f"does not follow the CycloneDX {version} schema: {message}",
            f"line {entry.line}",
        )
    ns = {"c": f"http://cyclonedx.org/schema/bom/{version}"}
    components = []
    for node in root.iterfind("c:components//c:component", ns):
        components.append(
            Component(
                (node.findtext("c:name", "", ns) or "").strip(),
                (node.findtext("c:version", "", ns) or "").strip() or None,
                (node.findtext("c:purl", "", ns) or "").strip() or None,
                node.get("bom-ref") or None,
            )
        )
    return Sbom("CycloneDX", version, tuple(components), root.get("serialNumber"))


# --- SPDX ------------------------------------------------------------------------------------


def _spdx(path: Path, source: str, form: str) -> Sbom:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    try:
        if form == "json":
            from spdx_tools.spdx.parser.json import json_parser

            document = json_parser.parse_from_file(str(path))
        else:
            from spdx_tools.spdx.parser.tagvalue import tagvalue_parser

            document = tagvalue_parser.parse_from_file(str(path))
    except SPDXParsingError as error:
        messages = error.get_messages()  # type: ignore[no-untyped-call]
        first = _shorten(str(messages[0])) if messages else "cannot be parsed"
        more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
        raise InputError(source, f"not a valid SPDX document: {first}{more}") from None
    version = document.creation_info.spdx_version
    if version not in ("SPDX-2.2", "SPDX-2.3"):
        raise InputError(source, f"unsupported {version} (SPDX 2.2 and 2.3)", "spdxVersion")
    problems = validate_full_spdx_document(document, version)
    if problems:
        first_problem = problems[0]
        place = first_problem.context.spdx_id or first_problem.context.parent_id or ""
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(
            source, f"not a valid SPDX document: {first_problem.validation_message}{more}", place
        )
    components = []
    for package in document.packages:
        purl = next(
            (ref.locator for ref in package.external_references if ref.reference_type == "purl"),
            None,
        )
        version_info = package.version if isinstance(package.version, str) else None
        components.append(Component(package.name, version_info or None, purl, package.spdx_id))
    return Sbom("SPDX", version.removeprefix("SPDX-"), tuple(components))


def _shorten(message: str) -> str:
    """spdx-tools' setter errors quote beartype at length; keep the part a person needs."""
    match = re.search(r"parameter (\w+)=(.{0,80}?) violates type hint", message)
    if match:
        prefix = message.split(":", 1)[0]
        return f"{prefix}: field {match.group(1)} has an invalid value {match.group(2)}"
    return message[:300]
