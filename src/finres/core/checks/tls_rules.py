"""Judging a TLS observation against the associations' guideline, art. 34 and 36 (seed 004).

Each item a network scan can decide gets ``pass`` or ``fail`` with the facts observed; what a
scan cannot decide (replay protection, signatures inside order messages, password storage,
server-side checks, lockout, password rules, log monitoring) is ``needs_evidence``, never a
pass. The readings, from the articles' text:

- art. 34-1 (confidentiality): only TLS 1.2 or above; key exchange by elliptic-curve
  Diffie-Hellman (ECDHE suites; in TLS 1.3 no finite-field group accepted); ciphers of at least
  AES-128 strength; a certificate key of at least RSA 2048 or ECC 256 bits.
- art. 34-2 (integrity): every suite AEAD or with a MAC of SHA-256 or stronger.
- art. 34-3 (source authentication): the certificate signed with SHA-256 or stronger (or
  EdDSA) by a key of at least RSA 2048 / ECC 256 bits, valid now and issued for the name used.
- art. 36-2 (identity data encrypted in transit): the endpoint only speaks TLS 1.2 or above
  with encrypting suites (no NULL or anonymous suites).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from finres.core.checks.tls import HYBRID_GROUPS, Observation, Suite
from finres.core.i18n import DEFAULT_LANGUAGE, N_, Language, gettext_for

FRAMEWORK = "sfa-emerging-tech-guideline"
PASS, FAIL, NEEDS_EVIDENCE = "pass", "fail", "needs_evidence"
OLD_PROTOCOLS = ("TLSv1.0", "TLSv1.1")
WEAK_HASHES = frozenset({"md5", "sha1", "sha224"})
NOT_DECIDABLE = {
    "art-34-4": N_(
        "replay protection of order messages (sequence numbers, nonces, timestamps) is above "
        "TLS: test it by resending captured messages"
    ),
    "art-34-5": N_("signatures of order messages (non-repudiation) are above TLS"),
    "art-36-1": N_("identity management rules are documents, not visible from the network"),
    "art-36-3": N_("how verification data is stored is not visible from the network"),
    "art-36-4": N_("server-side verification needs an application test"),
    "art-36-5": N_("lockout after 5 failed log-ins needs an authorised log-in test"),
    "art-36-6": N_("password rules need an authorised log-in test"),
    "art-36-7": N_("daily monitoring of failed log-ins is an operational record"),
}

Part = tuple[str, dict[str, Any]]  # a msgid and its values


@dataclass(frozen=True)
class Finding:
    requirement: str
    status: str
    parts: tuple[Part, ...]

    def evidence(self, language: Language = DEFAULT_LANGUAGE) -> str:
        translate = gettext_for(language).gettext
        return translate("; ").join(translate(m).format(**v) for m, v in self.parts)

    def as_data(self, language: Language = DEFAULT_LANGUAGE) -> dict[str, Any]:
        return {
            "framework": FRAMEWORK,
            "requirement": self.requirement,
            "status": self.status,
            "evidence": self.evidence(language),
        }


def _all_suites(seen: Observation) -> list[Suite]:
    return [suite for suites in seen.suites.values() for suite in suites]


def _strong_key(key_type: str, size: int) -> bool:
    if key_type == "RSA":
        return size >= 2048
    if key_type == "EC":
        return size >= 256
    return key_type in ("Ed25519", "Ed448")


def _names(items: list[str]) -> str:
    return ", ".join(items)


def _confidentiality(seen: Observation) -> Finding:
    problems: list[Part] = []
    old = [p for p in OLD_PROTOCOLS if seen.protocols.get(p)]
    if old:
        problems.append((N_("accepts {protocols}"), {"protocols": _names(old)}))
    not_ecdhe = [
        s.name
        for s in _all_suites(seen)
        if s.protocol != "TLSv1.3" and s.key_exchange not in ("ecdhe", "ecdhepsk")
    ]
    if not_ecdhe:
        problems.append(
            (N_("key exchange other than ECDHE: {suites}"), {"suites": _names(not_ecdhe)})
        )
    finite_field = [g for g in seen.groups if g.startswith("ffdhe")]
    if seen.protocols.get("TLSv1.3") and finite_field:
        problems.append(
            (
                N_("finite-field Diffie-Hellman groups accepted: {groups}"),
                {"groups": _names(finite_field)},
            )
        )
    weak = [s.name for s in _all_suites(seen) if s.cipher_bits < 128]
    if weak:
        problems.append((N_("ciphers weaker than AES-128: {suites}"), {"suites": _names(weak)}))
    cert = seen.certificate
    if cert is None:
        problems.append((N_("no certificate observed"), {}))
    elif not _strong_key(cert.key_type, cert.key_size):
        problems.append(
            (
                N_("certificate key {type} {bits} bits"),
                {"type": cert.key_type, "bits": cert.key_size},
            )
        )
    facts: list[Part] = [
        (
            N_("protocols {protocols}"),
            {"protocols": _names([p for p, ok in seen.protocols.items() if ok])},
        ),
        (N_("groups {groups}"), {"groups": _names(seen.groups) or "—"}),
    ]
    if cert is not None:
        facts.append(
            (
                N_("certificate key {type} {bits} bits"),
                {"type": cert.key_type, "bits": cert.key_size},
            )
        )
    if problems:
        return Finding("art-34-1", FAIL, tuple(problems + facts))
    return Finding("art-34-1", PASS, tuple(facts))


def _integrity(seen: Observation) -> Finding:
    weak = [s.name for s in _all_suites(seen) if not s.aead and (s.mac or "") in WEAK_HASHES]
    unknown = [s.name for s in _all_suites(seen) if not s.aead and not s.mac]
    if weak or unknown:
        return Finding(
            "art-34-2",
            FAIL,
            (
                (
                    N_("suites with a MAC weaker than SHA-256: {suites}"),
                    {"suites": _names(weak + unknown)},
                ),
            ),
        )
    count = len(_all_suites(seen))
    return Finding(
        "art-34-2",
        PASS,
        (
            (
                N_("all {count} accepted suites are AEAD or use a SHA-256 or stronger MAC"),
                {"count": count},
            ),
        ),
    )


def _source(seen: Observation, now: dt.datetime) -> Finding:
    cert = seen.certificate
    if cert is None:
        return Finding("art-34-3", FAIL, ((N_("no certificate observed"), {}),))
    problems: list[Part] = []
    if cert.signature_hash is not None and cert.signature_hash in WEAK_HASHES:
        problems.append((N_("signed with {algorithm}"), {"algorithm": cert.signature_algorithm}))
    if not _strong_key(cert.key_type, cert.key_size):
        problems.append(
            (
                N_("certificate key {type} {bits} bits"),
                {"type": cert.key_type, "bits": cert.key_size},
            )
        )
    if cert.expired(now):
        problems.append(
            (
                N_("not valid now ({start} to {end})"),
                {"start": f"{cert.not_before:%Y-%m-%d}", "end": f"{cert.not_after:%Y-%m-%d}"},
            )
        )
    if not cert.hostname_matches:
        problems.append((N_("not issued for {name}"), {"name": seen.server_name}))
    facts: Part = (
        N_("{algorithm}, {type} {bits} bits, valid until {end}, subject {subject}"),
        {
            "algorithm": cert.signature_algorithm,
            "type": cert.key_type,
            "bits": cert.key_size,
            "end": f"{cert.not_after:%Y-%m-%d}",
            "subject": cert.subject,
        },
    )
    if problems:
        return Finding("art-34-3", FAIL, (*problems, facts))
    return Finding("art-34-3", PASS, (facts,))


def _in_transit(seen: Observation) -> Finding:
    old = [p for p in OLD_PROTOCOLS if seen.protocols.get(p)]
    unencrypted = [
        s.name
        for s in _all_suites(seen)
        if s.cipher in ("null", "") or s.cipher_bits == 0 or s.authentication in ("null", "anon")
    ]
    if seen.hsts:
        hsts: Part = (N_("HSTS {value}"), {"value": seen.hsts})
    else:
        hsts = (N_("no HSTS header"), {}) if seen.http else (N_("not an HTTP endpoint"), {})
    problems: list[Part] = []
    if old:
        problems.append((N_("accepts {protocols}"), {"protocols": _names(old)}))
    if unencrypted:
        problems.append((N_("NULL or anonymous suites: {suites}"), {"suites": _names(unencrypted)}))
    if problems:
        return Finding("art-36-2", FAIL, (*problems, hsts))
    return Finding(
        "art-36-2", PASS, ((N_("TLS 1.2 or above only, every suite encrypts"), {}), hsts)
    )


def findings(seen: Observation, now: dt.datetime | None = None) -> list[Finding]:
    """Every art. 34 and 36 item, judged or marked as needing evidence, in article order."""
    now = now or dt.datetime.now(dt.UTC)
    if not seen.reachable or not any(seen.protocols.values()):
        reason: Part = (N_("no TLS connection: {error}"), {"error": seen.error or "refused"})
        decided = [Finding(r, FAIL, (reason,)) for r in ("art-34-1", "art-34-2", "art-34-3")]
        decided.append(Finding("art-36-2", FAIL, (reason,)))
    else:
        decided = [_confidentiality(seen), _integrity(seen), _source(seen, now), _in_transit(seen)]
    undecided = [Finding(r, NEEDS_EVIDENCE, ((why, {}),)) for r, why in NOT_DECIDABLE.items()]
    order = [f"art-34-{i}" for i in range(1, 6)] + [f"art-36-{i}" for i in range(1, 8)]
    by_id = {f.requirement: f for f in decided + undecided}
    return [by_id[r] for r in order]


def report(
    seen: Observation, now: dt.datetime | None = None, language: Language = DEFAULT_LANGUAGE
) -> dict[str, Any]:
    """The JSON contract of ``finres check tls --format json``."""
    now = now or dt.datetime.now(dt.UTC)
    return {
        "target": f"{seen.host}:{seen.port}",
        "sni": seen.server_name,
        "reachable": seen.reachable,
        "error": seen.error or None,
        "protocols": dict(seen.protocols),
        "cipher_suites": {v: [s.as_data() for s in suites] for v, suites in seen.suites.items()},
        "groups": list(seen.groups),
        "post_quantum_hybrid": any(g in HYBRID_GROUPS for g in seen.groups),
        "certificate": seen.certificate.as_data(now) if seen.certificate else None,
        "hsts": seen.hsts,
        "findings": [f.as_data(language) for f in findings(seen, now)],
    }
