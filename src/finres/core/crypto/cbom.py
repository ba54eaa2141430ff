"""CycloneDX 1.6 CBOM: import of ``cryptographic-asset`` components and export of the inventory.

Import validates the whole document against the official schema first (the supply-chain
core's validator, shared), then reads every cryptographic asset, libraries and devices that
carry a ``finres:kind`` property, and certificates' and keys' references to the algorithms they
use. A problem anywhere refuses the file whole (:class:`CryptoError` with its place).

Export writes a document that validates against the same schema. What CycloneDX 1.6 has no
field for (the system, where used, family, key size, a library's PQC capability) goes into
``properties`` named ``finres:…``, read back by the import: the round trip keeps every field.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from finres.core.crypto.model import (
    AssetKind,
    CryptoAsset,
    CryptoError,
    family_of,
    key_bits,
)
from finres.core.supply_chain.errors import InputError
from finres.core.supply_chain.errors import parse_json as supply_chain_json
from finres.core.supply_chain.sbom import validate_cyclonedx_json

MAX_BYTES: Final = 20 * 1024 * 1024
SPEC_VERSIONS: Final = ("1.6", "1.7")
_PROTOCOL_TYPES: Final = ("tls", "ssh", "ipsec", "ike", "sstp", "wpa")
_KEY_TYPES: Final = ("private-key", "public-key", "secret-key", "key")
_PREFIX: Final = "finres:"


def parse_json(raw: bytes, source: str) -> Any:
    """JSON text of at most MAX_BYTES; CryptoError with the place of a syntax error."""
    try:
        return supply_chain_json(raw, source, MAX_BYTES)
    except InputError as error:
        raise CryptoError(error.source, error.problem, error.place) from None


def read_json(raw: bytes, source: str) -> dict[str, Any]:
    """A JSON object (a CBOM); CryptoError otherwise."""
    data = parse_json(raw, source)
    if not isinstance(data, dict):
        raise CryptoError(source, "a CBOM is a JSON object", "/")
    return data


def load_cbom(path: Path) -> list[CryptoAsset]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CryptoError(str(path), error.strerror or str(error)) from None
    return import_cbom(read_json(raw, str(path)), str(path))


def _walk(items: list[dict[str, Any]], path: str) -> Iterable[tuple[str, dict[str, Any]]]:
    for index, item in enumerate(items):
        place = f"{path}[{index}]"
        yield place, item
        yield from _walk(item.get("components") or [], f"{place}.components")


def _properties(item: dict[str, Any]) -> dict[str, str]:
    return {
        p["name"][len(_PREFIX) :]: p.get("value", "")
        for p in item.get("properties") or []
        if str(p.get("name", "")).startswith(_PREFIX)
    }


def _int(text: str | None, source: str, place: str) -> int | None:
    if text in (None, ""):
        return None
    try:
        value = int(str(text))
    except ValueError:
        raise CryptoError(source, f"not a whole number: {text!r}", place) from None
    if not 0 < value < 1_000_000:
        raise CryptoError(source, f"out of range: {value}", place)
    return value


def _flag(text: str | None) -> bool | None:
    if text in (None, ""):
        return None
    return str(text).lower() in ("true", "yes", "1")


def import_cbom(data: dict[str, Any], source: str) -> list[CryptoAsset]:
    """The crypto assets of a CycloneDX 1.6 (or 1.7) document, validated whole first."""
    if data.get("bomFormat") != "CycloneDX":
        raise CryptoError(
            source, "not a CycloneDX document: bomFormat is not CycloneDX", "bomFormat"
        )
    if str(data.get("specVersion")) not in SPEC_VERSIONS:
        raise CryptoError(
            source,
            f"a CBOM needs CycloneDX 1.6 or later (specVersion {data.get('specVersion')!r})",
            "specVersion",
        )
    try:
        validate_cyclonedx_json(data, source)
    except InputError as error:
        raise CryptoError(source, error.problem, error.place) from None
    found = list(_walk(data.get("components") or [], "components"))
    names: dict[str, dict[str, Any]] = {}
    for place, item in found:
        ref = item.get("bom-ref")
        if ref:
            if ref in names:
                raise CryptoError(source, f"bom-ref {ref!r} is used twice", place)
            names[ref] = item
    assets: list[CryptoAsset] = []
    for place, item in found:
        asset = _asset(item, place, names, source)
        if asset is not None:
            assets.append(asset)
    return assets


def _asset(
    item: dict[str, Any], place: str, refs: dict[str, dict[str, Any]], source: str
) -> CryptoAsset | None:
    props = _properties(item)
    crypto = item.get("cryptoProperties") or {}
    kind_text = props.get("kind")
    if item.get("type") != "cryptographic-asset" and kind_text is None:
        return None
    name = str(item.get("name") or "")
    ident = str(item.get("bom-ref") or f"{place}:{name}")[:200]
    asset_type = crypto.get("assetType")
    family = props.get("family") or None
    parameter = props.get("parameter") or None
    key_size = _int(props.get("key_size"), source, place)
    primitive = None
    signature = props.get("signature_algorithm") or None
    not_after = props.get("not_after") or None
    if asset_type == "protocol":
        details = crypto.get("protocolProperties") or {}
        kind = AssetKind.PROTOCOL
        family = family or str(details.get("type") or "unknown").upper()
        parameter = parameter or details.get("version")
    elif asset_type == "certificate":
        details = crypto.get("certificateProperties") or {}
        kind = AssetKind.CERTIFICATE
        key = refs.get(str(details.get("subjectPublicKeyRef") or ""), {})
        key_crypto = (key.get("cryptoProperties") or {}).get(
            "relatedCryptoMaterialProperties"
        ) or {}
        key_algorithm = refs.get(str(key_crypto.get("algorithmRef") or ""), {})
        family = family or family_of(key.get("name"), key_algorithm.get("name"))
        key_size = key_size or key_crypto.get("size") or key_bits(family, key.get("name"))
        signed_by = refs.get(str(details.get("signatureAlgorithmRef") or ""), {})
        signature = signature or signed_by.get("name")
        name = name or str(details.get("subjectName") or "")
        not_after = not_after or (
            str(details["notValidAfter"])[:10] if details.get("notValidAfter") else None
        )
    elif asset_type == "related-crypto-material":
        details = crypto.get("relatedCryptoMaterialProperties") or {}
        kind = AssetKind.KEY
        algorithm = refs.get(str(details.get("algorithmRef") or ""), {})
        family = family or family_of(name, algorithm.get("name"))
        key_size = key_size or details.get("size") or key_bits(family, name, algorithm.get("name"))
        primitive = details.get("type")
    elif asset_type == "algorithm":
        details = crypto.get("algorithmProperties") or {}
        kind = AssetKind.ALGORITHM
        primitive = details.get("primitive")
        parameter = parameter or details.get("parameterSetIdentifier") or details.get("curve")
        family = family or family_of(name, details.get("curve"))
        key_size = key_size or key_bits(
            family, name, details.get("parameterSetIdentifier"), details.get("curve")
        )
    else:
        kind = AssetKind.LIBRARY
    if kind_text is not None:
        try:
            kind = AssetKind(kind_text)
        except ValueError:
            raise CryptoError(
                source, f"finres:kind {kind_text!r} is not one of {', '.join(AssetKind)}", place
            ) from None
    if not name:
        raise CryptoError(source, "a crypto asset needs a name", f"{place}.name")
    if kind_text is not None:  # written by FinRes: its own properties are the whole truth
        family = props.get("family") or None
        parameter = props.get("parameter") or None
        key_size = _int(props.get("key_size"), source, place)
        primitive = props.get("primitive") or None
        signature = props.get("signature_algorithm") or None
        not_after = props.get("not_after") or None
    return CryptoAsset(
        id=ident,
        kind=kind,
        name=name[:200],
        family=family,
        parameter=str(parameter)[:100] if parameter else None,
        key_size=key_size,
        system=props.get("system") or None,
        where_used=props.get("where_used", ""),
        primitive=primitive or props.get("primitive") or None,
        signature_algorithm=signature,
        not_after=not_after,
        version=item.get("version") or None,
        pqc_capable=_flag(props.get("pqc_capable")),
        source=props.get("source") or "cbom",
        notes=props.get("notes", ""),
    )


# --- export ------------------------------------------------------------------------------------

_GROUP_PRIMITIVES = {"HYBRID-ML-KEM": "kem", "ML-KEM": "kem"}


def _component(asset: CryptoAsset) -> dict[str, Any]:
    item: dict[str, Any] = {"name": asset.name, "bom-ref": asset.id}
    if asset.kind == AssetKind.LIBRARY:
        item["type"] = "library"
    elif asset.kind == AssetKind.HSM:
        item["type"] = "device"
    else:
        item["type"] = "cryptographic-asset"
        item["cryptoProperties"] = _crypto_properties(asset)
    if asset.version:
        item["version"] = asset.version
    values = {
        "kind": asset.kind.value,
        "family": asset.family,
        "parameter": asset.parameter,
        "key_size": asset.key_size,
        "system": asset.system,
        "where_used": asset.where_used,
        "signature_algorithm": asset.signature_algorithm,
        "not_after": asset.not_after,
        "pqc_capable": None if asset.pqc_capable is None else str(asset.pqc_capable).lower(),
        "primitive": asset.primitive,
        "source": asset.source,
        "notes": asset.notes,
    }
    item["properties"] = [
        {"name": _PREFIX + key, "value": str(value)}
        for key, value in values.items()
        if value not in (None, "")
    ]
    return item


def _crypto_properties(asset: CryptoAsset) -> dict[str, Any]:
    if asset.kind == AssetKind.PROTOCOL:
        kind = (asset.family or "").lower()
        details: dict[str, Any] = {"type": kind if kind in _PROTOCOL_TYPES else "other"}
        if asset.parameter:
            details["version"] = asset.parameter
        return {"assetType": "protocol", "protocolProperties": details}
    if asset.kind == AssetKind.CERTIFICATE:
        cert: dict[str, Any] = {"subjectName": asset.name, "certificateFormat": "X.509"}
        if asset.not_after:
            cert["notValidAfter"] = f"{asset.not_after[:10]}T00:00:00Z"
        return {"assetType": "certificate", "certificateProperties": cert}
    if asset.kind == AssetKind.KEY:
        material: dict[str, Any] = {
            "type": asset.primitive if asset.primitive in _KEY_TYPES else "key"
        }
        if asset.key_size:
            material["size"] = asset.key_size
        return {"assetType": "related-crypto-material", "relatedCryptoMaterialProperties": material}
    algorithm: dict[str, Any] = {}
    primitive = asset.primitive
    if asset.kind == AssetKind.GROUP:
        primitive = primitive or _GROUP_PRIMITIVES.get(asset.family or "", "key-agree")
    if primitive in _ALGORITHM_PRIMITIVES:
        algorithm["primitive"] = primitive
    if asset.parameter:
        algorithm["parameterSetIdentifier"] = asset.parameter
    return {"assetType": "algorithm", "algorithmProperties": algorithm}


_ALGORITHM_PRIMITIVES = frozenset(
    {
        "drbg",
        "mac",
        "block-cipher",
        "stream-cipher",
        "signature",
        "hash",
        "pke",
        "xof",
        "kdf",
        "key-agree",
        "kem",
        "ae",
        "combiner",
        "other",
        "unknown",
    }
)


def export_cbom(
    assets: Iterable[CryptoAsset],
    subject: str = "FinRes crypto inventory",
    timestamp: dt.datetime | None = None,
) -> dict[str, Any]:
    """A CycloneDX 1.6 CBOM of the assets (validates against the official schema)."""
    moment = (timestamp or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": moment.isoformat().replace("+00:00", "Z"),
            "component": {"type": "application", "name": subject[:200], "bom-ref": "subject"},
        },
        "components": [_component(asset) for asset in assets],
    }
