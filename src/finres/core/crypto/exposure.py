"""The quantum exposure of a crypto asset, with its reason and sources.

- public-key algorithms (RSA, ECC, DH, DSA …) are broken by Shor's algorithm whatever their
  size; under the classical minimum (e.g. RSA 2048) they are weak already;
- a symmetric key of n bits keeps n/2 bits against Grover's search: AES-128 is too weak,
  AES-256 is fine; a hash of n bits keeps n/2 bits of preimage strength: SHA-256 is fine;
- ML-KEM, ML-DSA, SLH-DSA, LMS/XMSS and the hybrid ML-KEM groups are quantum-safe;
- TLS 1.0/1.1, SHA-1, MD5, DES, 3DES, RC4 … are weak already, quantum computers aside.

The rules are data (``content/crypto/pqc.yaml``); the messages are given in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finres.core.crypto.model import (
    AssetKind,
    CryptoAsset,
    Level,
    Rules,
    family_of,
    key_bits,
    load_rules,
)
from finres.core.i18n import DEFAULT_LANGUAGE, Language

# Reasons, zh-TW and English side by side; ``{…}`` fields are filled from the asset.
MESSAGES: dict[str, tuple[str, str]] = {
    "shor": (
        "{family} 為公鑰演算法，量子電腦以 Shor 演算法可破解；改用 {replacement}",
        "{family} is public-key cryptography that Shor's algorithm breaks; move to {replacement}",
    ),
    "shor_small": (
        "{family} {bits} 位元低於 {minimum} 位元，現已不安全，且量子電腦可破解",
        "{family} with {bits} bits is under {minimum} bits: weak already, and broken by Shor",
    ),
    "grover_weak": (
        "{family} {bits} 位元在 Grover 演算法下僅餘約 {half} 位元（低於 128）；改用 {replacement}",
        "{family} with {bits} bits keeps about {half} bits under Grover (under 128); "
        "move to {replacement}",
    ),
    "grover_ok": (
        "{family} {bits} 位元在 Grover 演算法下仍有約 {half} 位元",
        "{family} with {bits} bits keeps about {half} bits under Grover",
    ),
    "pqc": (
        "{family} 為後量子密碼標準演算法",
        "{family} is a post-quantum standard",
    ),
    "hybrid": (
        "{name} 為混合式後量子金鑰交換（傳統 + ML-KEM）",
        "{name} is a hybrid post-quantum key exchange (classical + ML-KEM)",
    ),
    "weak": (
        "{family} 現已不安全或不得使用；改用 {replacement}",
        "{family} is weak or disallowed already; move to {replacement}",
    ),
    "keyed": (
        "{family} 之強度取決於其雜湊或金鑰；量子攻擊下不受 Shor 演算法影響",
        "{family} is as strong as its hash or key; Shor's algorithm does not apply",
    ),
    "unknown_family": (
        "無法辨識演算法家族：請人工確認",
        "The algorithm family is not recognised: confirm by hand",
    ),
    "unknown_rule": (
        "{family} 之量子曝險未評估：請人工確認",
        "{family}: quantum exposure not assessed; confirm by hand",
    ),
    "tls_old": (
        "{name} 已廢止（RFC 8996）；僅使用 TLS 1.2 以上，並以 TLS 1.3 為目標",
        "{name} is deprecated (RFC 8996); use TLS 1.2 or above, aiming at TLS 1.3",
    ),
    "tls12": (
        "TLS 1.2 無標準之後量子金鑰交換；遷移至 TLS 1.3 並使用混合式 ML-KEM 群組",
        "TLS 1.2 has no standard post-quantum key exchange; move to TLS 1.3 with a hybrid "
        "ML-KEM group",
    ),
    "tls13": (
        "TLS 1.3 可協商混合式 ML-KEM 群組；其安全性由所提供之群組決定",
        "TLS 1.3 can negotiate the hybrid ML-KEM groups; the groups offered decide",
    ),
    "protocol_other": (
        "{name}：依其金鑰交換及簽章演算法判斷，請一併盤點",
        "{name}: judged by its key exchange and signature algorithms; list them too",
    ),
    "pqc_capable": (
        "{name} 已支援後量子演算法（ML-KEM / ML-DSA）",
        "{name} supports post-quantum algorithms (ML-KEM / ML-DSA)",
    ),
    "not_pqc_capable": (
        "{name} 不支援後量子演算法：須升級或汰換",
        "{name} does not support post-quantum algorithms: upgrade or replace it",
    ),
    "capability_unknown": (
        "{name} 是否支援後量子演算法尚未確認：請向供應商確認",
        "Whether {name} supports post-quantum algorithms is not known: ask the supplier",
    ),
    "weak_signature": (
        "憑證以 {signature} 簽章，現已不安全",
        "The certificate is signed with {signature}, weak already",
    ),
}


@dataclass(frozen=True)
class Exposure:
    level: Level
    message: str  # a key of MESSAGES
    values: tuple[tuple[str, str], ...] = ()
    sources: tuple[str, ...] = ()
    replacement: str | None = None

    def reason(self, language: Language = DEFAULT_LANGUAGE) -> str:
        zh, en = MESSAGES[self.message]
        return (zh if language == "zh-TW" else en).format(**dict(self.values))

    def as_data(self, rules: Rules, language: Language = DEFAULT_LANGUAGE) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "label": rules.level_name(self.level, language),
            "severity": rules.severity(self.level),
            "reason": self.reason(language),
            "replacement": self.replacement,
            "sources": list(self.sources),
        }


def _x(level: Level, message: str, sources: tuple[str, ...] = (), **values: Any) -> Exposure:
    text = {k: "" if v is None else str(v) for k, v in values.items()}
    replacement = values.get("replacement")
    if level == Level.QUANTUM_SAFE or replacement in ("", "—"):
        replacement = None
    return Exposure(level, message, tuple(sorted(text.items())), sources, replacement)


def _family(rules: Rules, family: str | None, name: str, bits: int | None) -> Exposure:
    rule = rules.family(family)
    if rule is None:
        return _x(Level.UNKNOWN, "unknown_family", name=name)
    values = {"family": rule.family, "name": name, "replacement": rule.replacement or "—"}
    if rule.rule == "shor":
        if bits is not None and rule.min_classical_bits and bits < rule.min_classical_bits:
            return _x(
                Level.CLASSICALLY_WEAK,
                "shor_small",
                ("sp-800-131a", "shor"),
                bits=bits,
                minimum=rule.min_classical_bits,
                **values,
            )
        return _x(Level.QUANTUM_VULNERABLE, "shor", ("shor", "nist-ir-8547"), **values)
    if rule.rule in ("symmetric", "hash"):
        bits = bits or rule.default_bits or 0
        half = bits // 2
        level = Level.GROVER_WEAKENED if half < 128 else Level.QUANTUM_SAFE
        message = "grover_weak" if half < 128 else "grover_ok"
        if rule.rule == "hash" and half < 128:
            values["replacement"] = rule.replacement or "SHA-256"
        elif rule.rule == "symmetric" and half < 128:
            values["replacement"] = rule.replacement or "AES-256"
        return _x(level, message, ("grover",), bits=bits, half=half, **values)
    if rule.rule == "pqc":
        if rule.family.startswith("HYBRID-"):
            return _x(Level.QUANTUM_SAFE, "hybrid", rule.sources, **values)
        return _x(Level.QUANTUM_SAFE, "pqc", rule.sources, **values)
    if rule.rule == "weak":
        return _x(Level.CLASSICALLY_WEAK, "weak", ("sp-800-131a",), **values)
    if rule.rule == "keyed":
        return _x(Level.QUANTUM_SAFE, "keyed", ("grover",), **values)
    return _x(Level.UNKNOWN, "unknown_rule", (), **values)


def _protocol(asset: CryptoAsset) -> Exposure:
    text = f"{asset.name} {asset.parameter or ''}".upper().replace("V", " ")
    family = (asset.family or "").upper()
    is_tls = "TLS" in text or "SSL" in text or family in ("TLS", "SSL")
    if not is_tls:
        return _x(Level.UNKNOWN, "protocol_other", name=asset.name)
    version = (asset.parameter or asset.name).upper().replace("TLSV", "").replace("TLS", "")
    version = version.strip().strip("v ")
    if "SSL" in text or version in ("1.0", "1", "1.1"):
        return _x(
            Level.CLASSICALLY_WEAK,
            "tls_old",
            ("rfc-8996",),
            name=asset.name,
            replacement="TLS 1.3 + X25519MLKEM768",
        )
    if version == "1.2":
        return _x(
            Level.QUANTUM_VULNERABLE,
            "tls12",
            ("shor", "nist-ir-8547"),
            name=asset.name,
            replacement="TLS 1.3 + X25519MLKEM768",
        )
    if version == "1.3":
        return _x(Level.QUANTUM_SAFE, "tls13", ("hybrid-mlkem",), name=asset.name)
    return _x(Level.UNKNOWN, "protocol_other", name=asset.name)


_WEAK_SIGNATURE_HASHES = ("SHA1", "SHA-1", "MD5", "MD2", "MD4")


def exposure(asset: CryptoAsset, rules: Rules | None = None) -> Exposure:
    """How the asset fares against a quantum computer (and today), and why."""
    rules = rules or load_rules()
    if asset.kind == AssetKind.PROTOCOL:
        return _protocol(asset)
    if asset.kind in (AssetKind.LIBRARY, AssetKind.HSM):
        if asset.pqc_capable is True:
            return _x(Level.QUANTUM_SAFE, "pqc_capable", ("fips-203", "fips-204"), name=asset.name)
        if asset.pqc_capable is False:
            return _x(
                Level.QUANTUM_VULNERABLE,
                "not_pqc_capable",
                ("nist-ir-8547",),
                name=asset.name,
                replacement="ML-KEM / ML-DSA",
            )
        return _x(Level.UNKNOWN, "capability_unknown", name=asset.name)
    family = asset.family or family_of(asset.name, asset.parameter)
    bits = asset.key_size or key_bits(family, asset.parameter, asset.name)
    found = _family(rules, family, asset.name, bits)
    if asset.kind == AssetKind.CERTIFICATE and asset.signature_algorithm:
        signature = asset.signature_algorithm.upper().replace("_", "-")
        if any(weak in signature for weak in _WEAK_SIGNATURE_HASHES):
            return _x(
                Level.CLASSICALLY_WEAK,
                "weak_signature",
                ("sp-800-131a",),
                signature=asset.signature_algorithm,
                replacement="SHA-256 / ML-DSA",
            )
    return found


def worst(exposures: list[Exposure], rules: Rules | None = None) -> Exposure | None:
    rules = rules or load_rules()
    return max(exposures, key=lambda e: rules.severity(e.level), default=None)
