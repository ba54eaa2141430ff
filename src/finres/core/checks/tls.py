"""What a TLS endpoint offers: protocol versions, cipher suites, key-exchange groups (hybrid
post-quantum ones included), the certificate chain and HSTS.

Two engines, each for what it sees best: the platform's OpenSSL (Python's ``ssl``) for protocol
versions and the TLS 1.0–1.2 cipher suites (one handshake per accepted suite, letting the server
pick from what is left), and tlslite-ng, a TLS stack that can offer exactly one group or one
TLS 1.3 suite at a time, for the groups (x25519, NIST curves, finite-field groups, and the hybrid
ML-KEM groups such as X25519MLKEM768 that common scanners cannot see), the TLS 1.3 suites and
the presented certificate chain. Connections go only to the target named; every network error
becomes an observation, never an exception out of ``scan``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Protocol versions as reported, oldest first.
PROTOCOLS: dict[str, ssl.TLSVersion] = {
    "TLSv1.0": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
WIRE_VERSIONS = {"TLSv1.0": (3, 1), "TLSv1.1": (3, 2), "TLSv1.2": (3, 3), "TLSv1.3": (3, 4)}
# IANA names of the groups probed, with tlslite-ng's names.
GROUPS: dict[str, str] = {
    "X25519MLKEM768": "x25519mlkem768",
    "SecP256r1MLKEM768": "secp256r1mlkem768",
    "SecP384r1MLKEM1024": "secp384r1mlkem1024",
    "x25519": "x25519",
    "x448": "x448",
    "secp256r1": "secp256r1",
    "secp384r1": "secp384r1",
    "secp521r1": "secp521r1",
    "ffdhe2048": "ffdhe2048",
    "ffdhe3072": "ffdhe3072",
    "ffdhe4096": "ffdhe4096",
}
HYBRID_GROUPS = frozenset({"X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"})
# TLS 1.3 suites: IANA name → (tlslite-ng's cipher name, the cipher as OpenSSL spells it for
# TLS 1.2 suites, its key bits). The bits are stated, not read off the name: "SHA256" in
# TLS_AES_128_GCM_SHA256 is the hash, the cipher is AES-128.
TLS13_SUITES: dict[str, tuple[str, str, int]] = {
    "TLS_AES_128_GCM_SHA256": ("aes128gcm", "aes-128-gcm", 128),
    "TLS_AES_256_GCM_SHA384": ("aes256gcm", "aes-256-gcm", 256),
    "TLS_CHACHA20_POLY1305_SHA256": ("chacha20-poly1305", "chacha20-poly1305", 256),
    "TLS_AES_128_CCM_SHA256": ("aes128ccm", "aes-128-ccm", 128),
    "TLS_AES_128_CCM_8_SHA256": ("aes128ccm_8", "aes-128-ccm", 128),
}


@dataclass(frozen=True)
class Suite:
    """A cipher suite as negotiated, with what the rules need to judge it."""

    name: str  # the IANA name where known
    protocol: str
    key_exchange: str  # ecdhe, dhe, rsa, psk, any (TLS 1.3: the group decides) …
    authentication: str
    cipher: str
    cipher_bits: int
    aead: bool
    mac: str | None  # the record MAC's hash for non-AEAD suites (sha1, sha256, md5 …)

    def as_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key_exchange": self.key_exchange,
            "cipher": self.cipher,
            "bits": self.cipher_bits,
            "aead": self.aead,
            "mac": self.mac,
        }


@dataclass(frozen=True)
class Certificate:
    subject: str
    issuer: str
    key_type: str  # RSA, EC, Ed25519, Ed448, DSA
    key_size: int
    signature_algorithm: str  # e.g. sha256WithRSAEncryption
    signature_hash: str | None  # sha256 …; None for Ed25519/Ed448 (no separate hash)
    not_before: dt.datetime
    not_after: dt.datetime
    hostname_matches: bool
    self_signed: bool
    chain_length: int

    def expired(self, now: dt.datetime) -> bool:
        return not (self.not_before <= now <= self.not_after)

    def as_data(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "key_type": self.key_type,
            "key_size": self.key_size,
            "signature_algorithm": self.signature_algorithm,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "expired": self.expired(now),
            "hostname_matches": self.hostname_matches,
            "self_signed": self.self_signed,
            "chain_length": self.chain_length,
        }


@dataclass
class Observation:
    """Everything one scan saw."""

    host: str
    port: int
    server_name: str
    reachable: bool = False
    error: str = ""
    protocols: dict[str, bool] = field(default_factory=dict)
    suites: dict[str, list[Suite]] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    certificate: Certificate | None = None
    hsts: str | None = None
    http: bool = False  # the endpoint answered HTTP over TLS


class _Target:
    def __init__(self, host: str, port: int, server_name: str, timeout: float) -> None:
        self.host, self.port, self.server_name, self.timeout = host, port, server_name, timeout
        try:
            ipaddress.ip_address(server_name)
            self.sni: str | None = None  # no SNI for an address (RFC 6066)
        except ValueError:
            self.sni = server_name

    def connect(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=self.timeout)


def _openssl_context(version: ssl.TLSVersion, ciphers: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # we observe the certificate; we do not trust it
    context.minimum_version = context.maximum_version = version
    context.set_ciphers(ciphers + ":@SECLEVEL=0")  # old protocols and suites must be offered
    return context


def _openssl_handshake(
    target: _Target, version: ssl.TLSVersion, ciphers: str
) -> tuple[str, str] | None:
    """(protocol, OpenSSL suite name) of a completed handshake, or None if refused."""
    try:
        context = _openssl_context(version, ciphers)
    except ssl.SSLError:
        return None  # this OpenSSL cannot offer these suites at all
    try:
        with (
            target.connect() as raw,
            context.wrap_socket(raw, server_hostname=target.server_name) as tls,
        ):
            negotiated = tls.cipher()
            return (tls.version() or "", negotiated[0]) if negotiated else None
    except (OSError, ssl.SSLError, ValueError):
        return None


def _iana_name(openssl: dict[str, Any]) -> str:
    from tlslite.constants import CipherSuite

    code = int(openssl["id"]) & 0xFFFF
    name: str = CipherSuite.ietfNames.get(code, openssl["name"])
    return name


def _suite_from_openssl(openssl: dict[str, Any]) -> Suite:
    kea = str(openssl.get("kea") or "").removeprefix("kx-")
    description = str(openssl.get("description", ""))
    mac = None
    if not openssl.get("aead"):
        mac = description.split("Mac=")[-1].strip().lower() if "Mac=" in description else None
    return Suite(
        name=_iana_name(openssl),
        protocol=str(openssl.get("protocol", "")),
        key_exchange=kea or "unknown",
        authentication=str(openssl.get("auth") or "").removeprefix("auth-"),
        cipher=str(openssl.get("symmetric") or "null"),
        cipher_bits=int(openssl.get("strength_bits") or 0),
        aead=bool(openssl.get("aead")),
        mac=mac,
    )


def _legacy_suites(target: _Target, version: ssl.TLSVersion) -> list[Suite]:
    """Every TLS 1.0–1.2 suite the server accepts: offer all, remove what it picks, repeat."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    candidates: dict[str, dict[str, Any]] = {
        c["name"]: dict(c) for c in context.get_ciphers() if c["protocol"] != "TLSv1.3"
    }
    accepted: list[Suite] = []
    remaining = list(candidates)
    while remaining:
        found = _openssl_handshake(target, version, ":".join(remaining))
        if found is None or found[1] not in candidates or found[1] not in remaining:
            break
        accepted.append(_suite_from_openssl(candidates[found[1]]))
        remaining.remove(found[1])
    return accepted


def _tlslite_handshake(
    target: _Target,
    *,
    version: tuple[int, int],
    groups: list[str] | None = None,
    tls13_cipher: str | None = None,
) -> Any:
    """A tlslite-ng connection after a completed handshake, or None if the server refused."""
    from tlslite.api import HandshakeSettings, TLSConnection
    from tlslite.errors import TLSLocalAlert

    settings = HandshakeSettings()
    settings.minVersion = settings.maxVersion = version
    settings.minKeySize = 512  # observe weak keys instead of refusing to talk to them
    if groups is not None:
        ffdhe = [g for g in groups if g.startswith("ffdhe")]
        settings.eccCurves = [g for g in groups if not g.startswith("ffdhe")]
        settings.dhGroups = ffdhe
        settings.keyShares = list(groups) if version >= (3, 4) else []
    if tls13_cipher is not None:
        settings.cipherNames = [tls13_cipher]
    try:
        raw = target.connect()
    except OSError:
        return None
    connection = TLSConnection(raw)
    try:
        connection.handshakeClientCert(settings=settings, serverName=target.sni)
        return connection
    except TLSLocalAlert:
        # The server answered what was offered, then tlslite-ng objected to something later
        # (a weak signature, say): what was offered was accepted, the handshake is not usable.
        raw.close()
        return _ACCEPTED
    except Exception:  # any refusal or protocol error: not accepted
        raw.close()
        return None


# What a handshake that the server accepted but that did not complete returns.
_ACCEPTED = object()


def _close(connection: Any) -> None:
    if connection is not _ACCEPTED:
        with contextlib.suppress(OSError):
            connection.sock.close()


def _groups(target: _Target, protocols: dict[str, bool]) -> list[str]:
    newest = max(n for n, ok in protocols.items() if ok)
    version = WIRE_VERSIONS[newest]
    found = []
    for iana, name in GROUPS.items():
        if version < (3, 4) and iana in HYBRID_GROUPS:
            continue  # hybrid groups exist only in TLS 1.3
        connection = _tlslite_handshake(target, version=version, groups=[name])
        if connection is not None:
            found.append(iana)
            _close(connection)
    return found


def _tls13_suites(target: _Target) -> list[Suite]:
    found = []
    for iana, (name, cipher, bits) in TLS13_SUITES.items():
        connection = _tlslite_handshake(target, version=(3, 4), tls13_cipher=name)
        if connection is None:
            continue
        _close(connection)
        found.append(
            Suite(
                name=iana,
                protocol="TLSv1.3",
                key_exchange="any",
                authentication="any",
                cipher=cipher,
                cipher_bits=bits,
                aead=True,
                mac=None,
            )
        )
    return found


def _certificate(target: _Target, version: tuple[int, int]) -> Certificate | None:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    connection = _tlslite_handshake(target, version=version)
    der: list[bytes] = []
    if connection not in (None, _ACCEPTED) and connection.session is not None:
        chain = connection.session.serverCertChain
        if chain is not None:
            der = [bytes(cert.writeBytes()) for cert in chain.x509List]
        _close(connection)
    if not der:  # the leaf alone, through OpenSSL
        leaf_der = _openssl_leaf(target)
        if leaf_der is None:
            return None
        der = [leaf_der]
    leaf = x509.load_der_x509_certificate(der[0])
    key = leaf.public_key()
    key_type, key_size = "unknown", 0
    if isinstance(key, rsa.RSAPublicKey):
        key_type, key_size = "RSA", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type, key_size = "EC", key.curve.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type, key_size = "Ed25519", 256
    elif isinstance(key, ed448.Ed448PublicKey):
        key_type, key_size = "Ed448", 456
    elif isinstance(key, dsa.DSAPublicKey):
        key_type, key_size = "DSA", key.key_size
    hash_algorithm = leaf.signature_hash_algorithm
    return Certificate(
        subject=leaf.subject.rfc4514_string(),
        issuer=leaf.issuer.rfc4514_string(),
        key_type=key_type,
        key_size=key_size,
        signature_algorithm=getattr(leaf.signature_algorithm_oid, "_name", "")
        or leaf.signature_algorithm_oid.dotted_string,
        signature_hash=hash_algorithm.name if hash_algorithm is not None else None,
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        hostname_matches=_matches(leaf, target.server_name),
        self_signed=leaf.issuer == leaf.subject,
        chain_length=len(der),
    )


def _openssl_leaf(target: _Target) -> bytes | None:
    for version in reversed(PROTOCOLS.values()):
        try:
            context = _openssl_context(version, "ALL:COMPLEMENTOFALL")
            with (
                target.connect() as raw,
                context.wrap_socket(raw, server_hostname=target.server_name) as tls,
            ):
                der = tls.getpeercert(binary_form=True)
                if der:
                    return der
        except (OSError, ssl.SSLError, ValueError):
            continue
    return None


def _matches(certificate: Any, name: str) -> bool:
    """RFC 6125 matching of the server name (DNS name or IP address) with service_identity."""
    from service_identity import CertificateError, VerificationError
    from service_identity.cryptography import (
        verify_certificate_hostname,
        verify_certificate_ip_address,
    )

    try:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            verify_certificate_hostname(certificate, name)
        else:
            verify_certificate_ip_address(certificate, name)
        return True
    except (CertificateError, VerificationError):
        return False


def _hsts(target: _Target) -> tuple[bool, str | None]:
    """(whether the endpoint speaks HTTP, its Strict-Transport-Security header). A GET, not a
    HEAD: some servers answer only GET and would leave the check waiting for its timeout; only
    the headers are read."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    request = (
        f"GET / HTTP/1.1\r\nHost: {target.server_name}\r\nUser-Agent: finres-check\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    try:
        with (
            target.connect() as raw,
            context.wrap_socket(raw, server_hostname=target.server_name) as tls,
        ):
            tls.sendall(request)
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                data += chunk
    except (OSError, ssl.SSLError, ValueError):
        return False, None
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    if not lines or not lines[0].startswith("HTTP/"):
        return False, None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "strict-transport-security":
            return True, value.strip()
    return True, None


def scan(
    host: str,
    port: int,
    server_name: str | None = None,
    timeout: float = 5.0,
    progress: Callable[[str], None] | None = None,
) -> Observation:
    """Observe one endpoint. Connection problems are recorded in ``error``."""
    target = _Target(host, port, server_name or host, timeout)
    seen = Observation(host=host, port=port, server_name=target.server_name)
    try:
        target.connect().close()
    except OSError as error:
        seen.error = error.strerror or str(error)
        return seen
    seen.reachable = True
    for name, version in PROTOCOLS.items():
        if progress:
            progress(name)
        seen.protocols[name] = (
            _openssl_handshake(target, version, "ALL:COMPLEMENTOFALL") is not None
        )
    for name, version in PROTOCOLS.items():
        if seen.protocols.get(name) and name != "TLSv1.3":
            seen.suites[name] = _legacy_suites(target, version)
    if seen.protocols.get("TLSv1.3"):
        seen.suites["TLSv1.3"] = _tls13_suites(target)
    if not any(seen.protocols.values()):
        seen.error = "no TLS handshake succeeded"
        return seen
    if progress:
        progress("groups")
    seen.groups = _groups(target, seen.protocols)
    newest = max(n for n, ok in seen.protocols.items() if ok)
    seen.certificate = _certificate(target, WIRE_VERSIONS[newest])
    seen.http, seen.hsts = _hsts(target)
    return seen
