"""VEX statements: which vulnerabilities do not affect, or no longer affect, which components.

Two formats are read:

- CycloneDX VEX (a CycloneDX JSON document with ``vulnerabilities[]``, standalone or embedded in
  the SBOM): ``analysis.state`` ``not_affected`` or ``false_positive`` mark the vulnerability not
  affecting, ``resolved`` or ``resolved_with_pedigree`` fixed, for each ``affects[].ref`` (a
  ``bom-ref``, a BOM-Link ``urn:cdx:…#bom-ref``, or a purl);
- OpenVEX (``statements[]``, 0.0.1 to 0.2.0): ``status`` ``not_affected`` or ``fixed`` for
  each product ``@id`` (a purl) and its ``subcomponents``.

Other states (``exploitable``, ``in_triage``, ``affected``, ``under_investigation``) change
nothing. A statement names the vulnerability by any id (CycloneDX: its ``id`` and its
``references[].id``; OpenVEX: its ``name`` and ``aliases``), matched against the advisory's id
and aliases (a CVE). A product purl without a version covers every version of the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from packageurl import PackageURL

from finres.core.supply_chain.errors import InputError, json_place, parse_json

NOT_AFFECTED: Final = "not_affected"
FIXED: Final = "fixed"
_CDX_STATES: Final = {
    "not_affected": NOT_AFFECTED,
    "false_positive": NOT_AFFECTED,
    "resolved": FIXED,
    "resolved_with_pedigree": FIXED,
}
_OPENVEX_STATES: Final = {"not_affected": NOT_AFFECTED, "fixed": FIXED}
MAX_BYTES: Final = 64 * 1024 * 1024


def purl_key(purl: str) -> tuple[str, str | None, str, str | None] | None:
    """A purl without qualifiers and subpath, canonical (``None`` when it does not parse)."""
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    return (parsed.type, parsed.namespace, parsed.name, parsed.version)


@dataclass(frozen=True, slots=True)
class Statement:
    vulnerability: str
    status: str  # NOT_AFFECTED or FIXED
    source: str  # the file
    justification: str | None = None


@dataclass
class Vex:
    """Statements by component reference (bom-ref) and by purl."""

    by_ref: dict[str, list[Statement]] = field(default_factory=dict)
    by_purl: dict[tuple[str, str | None, str, str | None], list[Statement]] = field(
        default_factory=dict
    )

    def statement(
        self, ids: tuple[str, ...], ref: str | None, purl: str | None
    ) -> Statement | None:
        """The statement that covers one of ``ids`` for the component, if any."""
        candidates: list[Statement] = []
        if ref is not None:
            candidates += self.by_ref.get(ref, [])
        key = purl_key(purl) if purl else None
        if key is not None:
            candidates += self.by_purl.get(key, [])
            candidates += self.by_purl.get((key[0], key[1], key[2], None), [])
        for item in candidates:
            if item.vulnerability in ids:
                return item
        return None

    def _add(self, target: str, statement: Statement) -> None:
        if target.startswith("pkg:"):
            key = purl_key(target)
            if key is not None:
                self.by_purl.setdefault(key, []).append(statement)
                return
        if target.startswith("urn:cdx:") and "#" in target:
            target = target.split("#", 1)[1]
        self.by_ref.setdefault(target, []).append(statement)

    def add_document(self, data: Any, source: str) -> None:
        """Statements of a parsed CycloneDX or OpenVEX JSON document."""
        if isinstance(data, dict) and isinstance(data.get("statements"), list):
            self._openvex(data["statements"], source)
        elif isinstance(data, dict) and data.get("bomFormat") == "CycloneDX":
            self._cyclonedx(data.get("vulnerabilities") or [], source)
        else:
            raise InputError(
                source, "not a VEX document (CycloneDX with vulnerabilities, or OpenVEX statements)"
            )

    def _cyclonedx(self, items: Any, source: str) -> None:
        if not isinstance(items, list):
            raise InputError(source, "expected a list", "vulnerabilities")
        for i, item in enumerate(items):
            at: list[str | int] = ["vulnerabilities", i]
            if not isinstance(item, dict):
                raise InputError(source, "expected an object", json_place(at))
            analysis = item.get("analysis") or {}
            state = analysis.get("state") if isinstance(analysis, dict) else None
            status = _CDX_STATES.get(state) if isinstance(state, str) else None
            if status is None:
                continue  # no analysis, or one that changes nothing
            names = [
                item.get("id"),
                *(r.get("id") for r in item.get("references") or [] if isinstance(r, dict)),
            ]
            ids = [n for n in names if isinstance(n, str) and n]
            if not ids:
                raise InputError(
                    source, "a vulnerability with an analysis needs an id", json_place(at)
                )
            justification = analysis.get("justification")
            statements = [Statement(name, status, source, justification) for name in ids]
            affects = item.get("affects") or []
            if not isinstance(affects, list):
                raise InputError(source, "expected a list", json_place([*at, "affects"]))
            for j, affect in enumerate(affects):
                ref = affect.get("ref") if isinstance(affect, dict) else None
                if not isinstance(ref, str):
                    raise InputError(
                        source, "expected a ref", json_place([*at, "affects", j, "ref"])
                    )
                for statement in statements:
                    self._add(ref, statement)

    def _openvex(self, items: list[Any], source: str) -> None:
        for i, item in enumerate(items):
            at: list[str | int] = ["statements", i]
            if not isinstance(item, dict):
                raise InputError(source, "expected an object", json_place(at))
            status = _OPENVEX_STATES.get(item.get("status"))  # type: ignore[arg-type]
            if status is None:
                continue
            vulnerability = item.get("vulnerability")
            names: list[str] = []
            if isinstance(vulnerability, str):
                names = [vulnerability]
            elif isinstance(vulnerability, dict):
                names = [
                    n
                    for n in [vulnerability.get("name"), *(vulnerability.get("aliases") or [])]
                    if isinstance(n, str)
                ]
            if not names:
                raise InputError(
                    source,
                    "a statement needs a vulnerability name",
                    json_place([*at, "vulnerability"]),
                )
            products = item.get("products") or []
            if not isinstance(products, list) or not products:
                raise InputError(
                    source, "a statement needs products", json_place([*at, "products"])
                )
            targets: list[str] = []
            for product in products:
                if isinstance(product, str):
                    targets.append(product)
                elif isinstance(product, dict):
                    ids = [product.get("@id")]
                    identifiers = product.get("identifiers") or {}
                    if isinstance(identifiers, dict):
                        ids.append(identifiers.get("purl"))
                    for sub in product.get("subcomponents") or []:
                        if isinstance(sub, dict):
                            ids.append(sub.get("@id"))
                            sub_ids = sub.get("identifiers") or {}
                            if isinstance(sub_ids, dict):
                                ids.append(sub_ids.get("purl"))
                    targets += [t for t in ids if isinstance(t, str)]
            justification = item.get("justification")
            for name in names:
                statement = Statement(name, status, source, justification)
                for target in dict.fromkeys(targets):
                    self._add(target, statement)


def load_vex(paths: list[Path]) -> Vex:
    vex = Vex()
    for path in paths:
        source = str(path)
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise InputError(source, error.strerror or str(error)) from None
        vex.add_document(parse_json(raw, source, MAX_BYTES), source)
    return vex
