"""The crypto inventory's model: assets, the rules they are judged by (shipped as data in
``content/crypto/pqc.yaml``) and the recognition of an algorithm family from a name.

Plain data in and out; no web framework. docs/crypto.md describes the model.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from finres.core.i18n import DEFAULT_LANGUAGE, Language
from finres.core.library.loader import LibraryError, read_yaml

RULES_FILE = Path(__file__).resolve().parent.parent.parent / "content" / "crypto" / "pqc.yaml"


class AssetKind(StrEnum):
    PROTOCOL = "protocol"
    GROUP = "group"  # a key-exchange group (TLS named group, SSH kex)
    CERTIFICATE = "certificate"
    KEY = "key"
    ALGORITHM = "algorithm"
    LIBRARY = "library"
    HSM = "hsm"


class Level(StrEnum):
    """Quantum exposure of an asset, most severe first."""

    CLASSICALLY_WEAK = "classically_weak"
    QUANTUM_VULNERABLE = "quantum_vulnerable"
    UNKNOWN = "unknown"
    GROVER_WEAKENED = "grover_weakened"
    QUANTUM_SAFE = "quantum_safe"


class CryptoError(ValueError):
    """An inventory, CBOM or TLS result that cannot be used; ``place`` says where in it."""

    def __init__(self, source: str, problem: str, place: str = "") -> None:
        self.source, self.problem, self.place = source, problem, place
        super().__init__(f"{source}: {place}: {problem}" if place else f"{source}: {problem}")


@dataclass(frozen=True)
class CryptoAsset:
    """One piece of cryptography in use. ``id`` is stable (a CBOM ``bom-ref``, a code)."""

    id: str
    kind: AssetKind
    name: str
    family: str | None = None  # a CycloneDX algorithm family, TLS/SSH/IPSEC for protocols
    parameter: str | None = None  # parameter set, curve, protocol version
    key_size: int | None = None  # bits (key, curve or cipher key; hash output)
    system: str | None = None  # the code of the information system that uses it
    where_used: str = ""
    primitive: str | None = None  # CycloneDX primitive (signature, kem, key-agree, ae …)
    signature_algorithm: str | None = None  # certificates
    not_after: str | None = None  # certificates: ISO date
    version: str | None = None  # libraries, HSM firmware
    pqc_capable: bool | None = None  # libraries and HSMs: offers ML-KEM / ML-DSA
    source: str = "manual"  # manual, tls, cbom, xlsx
    notes: str = ""

    def as_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "name": self.name,
            "family": self.family,
            "parameter": self.parameter,
            "key_size": self.key_size,
            "system": self.system,
            "where_used": self.where_used,
            "primitive": self.primitive,
            "signature_algorithm": self.signature_algorithm,
            "not_after": self.not_after,
            "version": self.version,
            "pqc_capable": self.pqc_capable,
            "source": self.source,
        }


# --- rules (data) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyRule:
    family: str
    rule: str  # shor, symmetric, hash, pqc, weak, keyed, unknown
    min_classical_bits: int | None = None
    default_bits: int | None = None
    replacement: str | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Factor:
    id: str
    name: dict[str, str]
    question: dict[str, str]
    levels: dict[int, dict[str, str]]
    from_years: tuple[tuple[int, int], ...] = ()

    def title(self, language: Language = DEFAULT_LANGUAGE) -> str:
        return self.name[language]


@dataclass(frozen=True)
class Rules:
    sources: dict[str, dict[str, Any]]  # name {zh-TW, en}, title (original), url, note
    horizon_year: int
    horizon_source: str
    levels: dict[Level, dict[str, Any]]
    families: dict[str, FamilyRule]
    factors: tuple[Factor, ...]
    preparation: tuple[tuple[str, dict[str, str]], ...]
    _by_upper: dict[str, str] = field(default_factory=dict)

    def factor(self, factor_id: str) -> Factor:
        return next(f for f in self.factors if f.id == factor_id)

    def severity(self, level: Level) -> int:
        return int(self.levels[level]["severity"])

    def level_name(self, level: Level, language: Language = DEFAULT_LANGUAGE) -> str:
        return str(self.levels[level]["name"][language])

    def family(self, name: str | None) -> FamilyRule | None:
        if not name:
            return None
        key = self._by_upper.get(name.upper())
        return self.families.get(key) if key else None


MANUAL_FACTORS = (
    "business-impact",
    "business-dependency",
    "ecosystem-linkage",
    "international-alignment",
)


def _rules_from(data: Any, source: str) -> Rules:
    try:
        families = {
            name: FamilyRule(
                name,
                str(spec["rule"]),
                spec.get("min_classical_bits"),
                spec.get("default_bits"),
                spec.get("replacement"),
                tuple(spec.get("sources") or ()),
            )
            for name, spec in data["families"].items()
        }
        factors = tuple(
            Factor(
                f["id"],
                dict(f["name"]),
                dict(f["question"]),
                {int(k): dict(v) for k, v in f["levels"].items()},
                tuple((int(a), int(b)) for a, b in f.get("from_years") or ()),
            )
            for f in data["risk_factors"]
        )
        rules = Rules(
            sources=dict(data["sources"]),
            horizon_year=int(data["threat_horizon"]["year"]),
            horizon_source=str(data["threat_horizon"]["source"]),
            levels={Level(k): v for k, v in data["levels"].items()},
            families=families,
            factors=factors,
            preparation=tuple((p["id"], dict(p["name"])) for p in data["preparation"]),
            _by_upper={name.upper(): name for name in families},
        )
    except (KeyError, TypeError, ValueError) as error:
        raise CryptoError(source, f"malformed rules: {error!r}") from None
    for key, spec in rules.sources.items():
        if not isinstance(spec, dict) or not {"name", "title", "url"} <= set(spec):
            raise CryptoError(source, f"source {key}: needs a name, a title and a url")
        if set(spec["name"]) != {"zh-TW", "en"}:
            raise CryptoError(source, f"source {key}: its name in zh-TW and en")
    unknown = {s for f in families.values() for s in f.sources} - set(rules.sources)
    if unknown or rules.horizon_source not in rules.sources:
        raise CryptoError(source, f"unknown sources: {sorted(unknown)}")
    if set(Level) != set(rules.levels):
        raise CryptoError(source, "every exposure level needs a severity and a name")
    return rules


@functools.cache
def load_rules(path: Path | None = None) -> Rules:
    """The shipped exposure rules, risk factors and preparation items (validated)."""
    path = path or RULES_FILE
    try:
        data = read_yaml(path)
    except LibraryError as error:
        raise CryptoError(str(path), "; ".join(p.message for p in error.problems)) from None
    return _rules_from(data, str(path))


# --- families from names -----------------------------------------------------------------------

# First match wins: specific names before the general ones they contain (ECDSA before DSA …).
_FAMILY_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"MLKEM\d*X25519|X25519MLKEM|SECP\d+R1MLKEM|X25519KYBER|P256KYBER", "HYBRID-ML-KEM"),
    (r"SNTRUP", "HYBRID-SNTRUP"),
    (r"ML-?KEM|KYBER", "ML-KEM"),
    (r"ML-?DSA|DILITHIUM", "ML-DSA"),
    (r"SLH-?DSA|SPHINCS", "SLH-DSA"),
    (r"XMSS", "XMSS"),
    (r"^LMS|HSS", "LMS"),
    (r"ED25519|ED448|EDDSA", "EdDSA"),
    (r"ECDSA|^EC$|^EC-|ECPUBLICKEY", "ECDSA"),
    (
        r"ECDHE?|X25519|X448|CURVE25519|CURVE448|SECP\d+|P-?(256|384|521)\b|PRIME256|BRAINPOOL",
        "ECDH",
    ),
    (r"FFDHE|^DHE?\b|^DH-|DIFFIE", "FFDH"),
    (r"RSASSA-?PSS|RSA-?PSS|PSS", "RSASSA-PSS"),
    (r"OAEP", "RSAES-OAEP"),
    (r"WITHRSA|RSAWITH|RSA-?PKCS1|SHA\d*-?RSA|RSASSA", "RSASSA-PKCS1"),
    (r"RSA", "RSA"),
    (r"DSA", "DSA"),
    (r"3DES|TRIPLEDES|DES-?EDE|DES-?CBC3|TDEA", "3DES"),
    (r"CHACHA20", "ChaCha20"),
    (r"AES", "AES"),
    (r"CAMELLIA", "CAMELLIA"),
    (r"ARIA", "ARIA"),
    (r"SEED", "SEED"),
    (r"^SM4|-SM4", "SM4"),
    (r"RC4|ARCFOUR", "RC4"),
    (r"^RC2", "RC2"),
    (r"^DES", "DES"),
    (r"IDEA", "IDEA"),
    (r"BLOWFISH", "Blowfish"),
    (r"HMAC", "HMAC"),
    (r"HKDF", "HKDF"),
    (r"PBKDF2", "PBKDF2"),
    (r"SHA-?3(?!\d{2})|SHAKE", "SHA-3"),
    (r"SHA-?1\b|^SHA$|SHA1", "SHA-1"),
    (r"SHA-?(224|256|384|512)|SHA-?2", "SHA-2"),
    (r"MD5", "MD5"),
    (r"MD4", "MD4"),
    (r"^SM3", "SM3"),
    (r"POLY1305", "Poly1305"),
)
_COMPILED = tuple((re.compile(p), f) for p, f in _FAMILY_PATTERNS)
_CURVE_BITS = {"X25519": 256, "X448": 448, "ED25519": 256, "ED448": 448, "CURVE25519": 256}


def family_of(*names: str | None) -> str | None:
    """The algorithm family named by the first of ``names`` that names one, e.g.
    ``sha256WithRSAEncryption`` → RSASSA-PKCS1, ``x25519`` → ECDH, ``AES-128-GCM`` → AES."""
    rules = load_rules()
    for name in names:
        if not name:
            continue
        known = rules.family(name)
        if known is not None:
            return known.family
        text = name.strip().upper().replace("_", "-")
        for pattern, family in _COMPILED:
            if pattern.search(text):
                return family
    return None


def bits_of(*texts: str | None) -> int | None:
    """A size in bits read from a name or parameter: ``RSA-2048`` 2048, ``secp384r1`` 384,
    ``x25519`` 256, ``AES_256_GCM`` 256, ``SHA-384`` 384."""
    for text in texts:
        if not text:
            continue
        upper = text.upper()
        for curve, bits in _CURVE_BITS.items():
            if curve in upper:
                return bits
        for match in re.finditer(r"(?<!\d)(\d{3,5})(?!\d)", upper):
            value = int(match.group(1))
            if 100 <= value <= 16384:
                return value
    return None


def key_bits(family: str | None, *texts: str | None) -> int | None:
    """``bits_of`` for a key of ``family``: in a public-key algorithm's name a small number
    names the hash (``SHA512withRSA``) or a security level, not the key: it is not taken."""
    bits = bits_of(*texts)
    rule = load_rules().family(family)
    if bits is None or rule is None or rule.rule != "shor":
        return bits
    floor = 1024 if (rule.min_classical_bits or 0) >= 2048 else 160
    return bits if bits >= floor else None
