"""Where inventories come from besides a CBOM: a YAML inventory file (systems with their risk
scores, assets, the plan's milestone dates) and the result of a TLS check.

The YAML form (docs/crypto.md)::

    threat_horizon_year: 2035          # optional: Mosca's z as a year
    systems:
      - code: SYS-ETRADE
        name: 網路下單系統
        data_secrecy_years: 10         # x
        migration_years: 3             # y
        scores: {business-impact: 5, business-dependency: 4,
                 ecosystem-linkage: 5, international-alignment: 3}
    assets:
      - {id: etrade-cert, kind: certificate, name: CN=trade.example.com.tw,
         family: RSA, key_size: 2048, system: SYS-ETRADE}
    milestones:
      staff-training: {due: 2027-06-30, done: false}
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from finres.core.crypto.cbom import import_cbom, read_json
from finres.core.crypto.model import (
    MANUAL_FACTORS,
    AssetKind,
    CryptoAsset,
    CryptoError,
    bits_of,
    family_of,
)
from finres.core.crypto.plan import MilestoneState, SystemRisk
from finres.core.library.loader import LibraryError, read_yaml
from finres.core.supply_chain.errors import json_place

Score = Field(ge=1, le=5)


class _System(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=40)
    name: str = ""
    data_secrecy_years: int | None = Field(default=None, ge=0, le=100)
    migration_years: int | None = Field(default=None, ge=0, le=50)
    scores: dict[str, int] = {}

    @field_validator("scores")
    @classmethod
    def _scores(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(MANUAL_FACTORS))
        if unknown:
            raise ValueError(
                f"unknown factors {unknown} (scored by people: {list(MANUAL_FACTORS)})"
            )
        bad = [k for k, v in value.items() if not 1 <= v <= 5]
        if bad:
            raise ValueError(f"scores are 1 to 5: {bad}")
        return value


class _Asset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(default=None, max_length=200)
    kind: AssetKind
    name: str = Field(min_length=1, max_length=200)
    family: str | None = None
    parameter: str | None = None
    key_size: int | None = Field(default=None, ge=1, le=65536)
    system: str | None = None
    where_used: str = ""
    primitive: str | None = None
    signature_algorithm: str | None = None
    not_after: dt.date | None = None
    version: str | None = None
    pqc_capable: bool | None = None
    notes: str = ""


class _Milestone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    due: dt.date | None = None
    done: bool = False


class _Inventory(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threat_horizon_year: int | None = Field(default=None, ge=2000, le=2200)
    systems: list[_System] = []
    assets: list[_Asset] = []
    milestones: dict[str, _Milestone] = {}


@dataclass
class Inventory:
    assets: list[CryptoAsset]
    systems: list[SystemRisk] = field(default_factory=list)
    horizon_year: int | None = None
    milestones: dict[str, MilestoneState] = field(default_factory=dict)


def inventory_from_data(data: Any, source: str) -> Inventory:
    try:
        parsed = _Inventory.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        raise CryptoError(source, f"{first['msg']}{more}", json_place(list(first["loc"]))) from None
    codes = [s.code for s in parsed.systems]
    duplicate = next((c for c in codes if codes.count(c) > 1), None)
    if duplicate:
        raise CryptoError(source, f"system {duplicate} is listed twice", "systems")
    assets = []
    seen: set[str] = set()
    for index, item in enumerate(parsed.assets):
        ident = item.id or f"{item.kind.value}:{item.system or '-'}:{item.name}"
        if ident in seen:
            raise CryptoError(source, f"asset id {ident!r} is used twice", f"assets[{index}]")
        seen.add(ident)
        assets.append(
            CryptoAsset(
                id=ident,
                kind=item.kind,
                name=item.name,
                family=item.family or family_of(item.name, item.parameter),
                parameter=item.parameter,
                key_size=item.key_size,
                system=item.system,
                where_used=item.where_used,
                primitive=item.primitive,
                signature_algorithm=item.signature_algorithm,
                not_after=item.not_after.isoformat() if item.not_after else None,
                version=item.version,
                pqc_capable=item.pqc_capable,
                notes=item.notes,
            )
        )
    return Inventory(
        assets,
        [
            SystemRisk(s.code, s.name, s.data_secrecy_years, s.migration_years, dict(s.scores))
            for s in parsed.systems
        ],
        parsed.threat_horizon_year,
        {
            key: MilestoneState(m.due.isoformat() if m.due else None, m.done)
            for key, m in parsed.milestones.items()
        },
    )


def load_inventory(path: Path) -> Inventory:
    """A YAML inventory, a CBOM (CycloneDX JSON) or the JSON of ``finres check tls``."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CryptoError(source, error.strerror or str(error)) from None
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        data: Any = read_json(raw, source) if head == b"{" else _json_list(raw, source)
        if isinstance(data, dict) and data.get("bomFormat") is not None:
            return Inventory(import_cbom(data, source))
        return Inventory(assets_from_check_results(data, source))
    try:
        data = read_yaml(path)
    except LibraryError as error:
        raise CryptoError(source, "; ".join(p.message for p in error.problems)) from None
    return inventory_from_data(data, source)


def _json_list(raw: bytes, source: str) -> Any:
    from finres.core.crypto.cbom import parse_json

    return parse_json(raw, source)


# --- TLS check results ---------------------------------------------------------------------------

_KEY_FAMILIES = {"RSA": "RSA", "EC": "ECDSA", "ED25519": "EdDSA", "ED448": "EdDSA", "DSA": "DSA"}


def assets_from_tls(result: Any, system: str | None = None) -> list[CryptoAsset]:
    """The crypto assets a TLS check saw: each protocol version offered, each key-exchange
    group, each symmetric cipher, and the certificate (key and signature algorithm).

    ``result`` is a ``finres.core.checks.tls.Observation`` or the JSON of
    ``finres check tls --format json`` (``finres.core.checks.tls_rules.report``)."""
    if not isinstance(result, dict):
        from finres.core.checks.tls_rules import report

        result = report(result)
    target = str(result["target"])
    where = f"TLS {target}"
    base = f"tls:{target}"
    assets: list[CryptoAsset] = []
    for version, offered in (result.get("protocols") or {}).items():
        if offered:
            assets.append(
                CryptoAsset(
                    f"{base}:protocol:{version}",
                    AssetKind.PROTOCOL,
                    version,
                    "TLS",
                    version.removeprefix("TLSv"),
                    None,
                    system,
                    where,
                    source="tls",
                )
            )
    for group in result.get("groups") or []:
        assets.append(
            CryptoAsset(
                f"{base}:group:{group}",
                AssetKind.GROUP,
                group,
                family_of(group),
                group,
                bits_of(group) if "MLKEM" not in group.upper() else None,
                system,
                where,
                primitive="kem" if "MLKEM" in group.upper() else "key-agree",
                source="tls",
            )
        )
    ciphers: dict[str, int] = {}
    for suites in (result.get("cipher_suites") or {}).values():
        for suite in suites:
            ciphers.setdefault(str(suite.get("cipher")), int(suite.get("bits") or 0))
    for cipher, bits in sorted(ciphers.items()):
        assets.append(
            CryptoAsset(
                f"{base}:cipher:{cipher}",
                AssetKind.ALGORITHM,
                cipher,
                family_of(cipher),
                None,
                bits or None,
                system,
                where,
                primitive="ae",
                source="tls",
            )
        )
    certificate = result.get("certificate")
    if certificate:
        key_type = str(certificate.get("key_type") or "")
        assets.append(
            CryptoAsset(
                f"{base}:certificate",
                AssetKind.CERTIFICATE,
                str(certificate.get("subject") or target)[:200],
                _KEY_FAMILIES.get(key_type.upper()) or family_of(key_type),
                key_type or None,
                certificate.get("key_size") or None,
                system,
                where,
                primitive="signature",
                signature_algorithm=certificate.get("signature_algorithm"),
                not_after=str(certificate.get("not_after") or "")[:10] or None,
                source="tls",
            )
        )
    return assets


# Key sizes SSH names do not carry (the numbers in them are hashes or group numbers).
_SSH_DH_GROUP_BITS = {"group1": 1024, "group14": 2048, "group15": 3072, "group16": 4096}
_SSH_DH_GROUP_BITS |= {"group17": 6144, "group18": 8192}
_SSH_HASH_BITS = {"md5": 128, "sha1": 160, "sha2-256": 256, "sha2-512": 512, "sha256": 256}


def _ssh_kex_bits(name: str, family: str | None) -> int | None:
    if family and family.startswith("HYBRID"):
        return None
    for group, bits in _SSH_DH_GROUP_BITS.items():
        if f"-{group}-" in name:
            return bits
    return None if family == "FFDH" else bits_of(name)


def _ssh_cipher_bits(name: str, family: str | None) -> int | None:
    if family == "ChaCha20":
        return 256
    if family == "3DES":
        return 168
    match = re.search(r"(128|192|256)", name)
    return int(match.group(1)) if match else None


def _ssh_mac_bits(name: str) -> int | None:
    for hash_name, bits in _SSH_HASH_BITS.items():
        if f"-{hash_name}" in name:
            return bits
    return None


def assets_from_ssh(result: dict[str, Any], system: str | None = None) -> list[CryptoAsset]:
    """The crypto assets an SSH check saw (the JSON of ``finres check ssh``): each key
    exchange, host key, cipher and MAC the server offers."""
    target = str(result["target"])
    where = f"SSH {target}"
    base = f"ssh:{target}"
    assets: list[CryptoAsset] = []
    for kex in result.get("kex") or []:
        name = str(kex["algorithm"])
        family = family_of(name)
        assets.append(
            CryptoAsset(
                f"{base}:kex:{name}",
                AssetKind.GROUP,
                name,
                family,
                None,
                _ssh_kex_bits(name, family),
                system,
                where,
                primitive="kem" if kex.get("post_quantum") else "key-agree",
                source="ssh",
            )
        )
    for key in result.get("host_keys") or []:
        name = str(key["algorithm"])
        family = family_of(name)
        assets.append(
            CryptoAsset(
                f"{base}:host-key:{name}",
                AssetKind.KEY,
                name,
                family,
                None,
                key.get("key_size") or (256 if family == "EdDSA" else None),
                system,
                where,
                primitive="signature",
                source="ssh",
            )
        )
    for name in result.get("ciphers") or []:
        family = family_of(name)
        assets.append(
            CryptoAsset(
                f"{base}:cipher:{name}",
                AssetKind.ALGORITHM,
                name,
                family,
                None,
                _ssh_cipher_bits(name, family),
                system,
                where,
                primitive="ae" if "gcm" in name or "poly1305" in name else "block-cipher",
                source="ssh",
            )
        )
    for name in result.get("macs") or []:
        assets.append(
            CryptoAsset(
                f"{base}:mac:{name}",
                AssetKind.ALGORITHM,
                name,
                family_of(name),
                None,
                _ssh_mac_bits(name),
                system,
                where,
                primitive="mac",
                source="ssh",
            )
        )
    return assets


def assets_from_check_results(data: Any, source: str) -> list[CryptoAsset]:
    """Assets of one check result or of a list of them: the JSON of ``finres check tls``
    (``--file`` too) or of ``finres check ssh``."""
    results = data if isinstance(data, list) else [data]
    assets: list[CryptoAsset] = []
    for index, result in enumerate(results):
        is_ssh = isinstance(result, dict) and "target" in result and "host_keys" in result
        is_tls = isinstance(result, dict) and "target" in result and "protocols" in result
        if not (is_ssh or is_tls):
            place = f"[{index}]" if isinstance(data, list) else "/"
            raise CryptoError(
                source,
                "neither a CBOM nor the JSON of finres check tls or ssh (no target, protocols "
                "or host_keys)",
                place,
            )
        try:
            found = assets_from_ssh if is_ssh else assets_from_tls
            assets.extend(found(result, result.get("system")))
        except (TypeError, ValueError, AttributeError, KeyError) as error:
            raise CryptoError(source, f"malformed check result: {error}", f"[{index}]") from None
    return assets
