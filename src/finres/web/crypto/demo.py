"""The demo securities firm's crypto inventory: what a TLS check of its e-trading and mobile
endpoints would show (TLS 1.2 and 1.3, classical and hybrid ML-KEM groups, RSA and ECDSA
certificates), the keys of its HSM and settlement links, libraries, and risk assessments of its
main systems, so that the migration plan opens ordered by risk with reasons.

The TLS assets are derived with the same core function as ``finres crypto cbom`` uses for
``finres check tls`` results.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from finres.core import crypto as core
from finres.web.crypto.models import CryptoAsset, MigrationPlan, Source, SystemCryptoRisk
from finres.web.registers.models import InformationSystem

ETRADE_TLS = {
    "target": "trade.demo-securities.example:443",
    "protocols": {"TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True},
    "cipher_suites": {
        "TLSv1.2": [{"cipher": "aes-128-gcm", "bits": 128}, {"cipher": "aes-256-gcm", "bits": 256}],
        "TLSv1.3": [{"cipher": "aes256gcm", "bits": 256}],
    },
    "groups": ["x25519", "secp256r1"],
    "certificate": {
        "subject": "CN=trade.demo-securities.example",
        "key_type": "RSA",
        "key_size": 2048,
        "signature_algorithm": "sha256WithRSAEncryption",
        "not_after": "2027-03-31T23:59:59+00:00",
    },
}
MOBILE_TLS = {
    "target": "api.demo-securities.example:443",
    "protocols": {"TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": False, "TLSv1.3": True},
    "cipher_suites": {"TLSv1.3": [{"cipher": "aes256gcm", "bits": 256}]},
    "groups": ["X25519MLKEM768", "x25519"],
    "certificate": {
        "subject": "CN=api.demo-securities.example",
        "key_type": "EC",
        "key_size": 256,
        "signature_algorithm": "ecdsa-with-SHA256",
        "not_after": "2027-06-30T23:59:59+00:00",
    },
}
MANUAL: tuple[dict[str, Any], ...] = (
    {
        "code": "HSM-SIGN",
        "kind": "hsm",
        "name": "下單簽章 HSM",
        "system": "SYS-TRADE",
        "version": "firmware 7.8",
        "pqc_capable": False,
        "where_used": "客戶下單電子簽章驗證",
    },
    {
        "code": "KEY-SIGN-CA",
        "kind": "key",
        "name": "RSA-2048 客戶憑證簽發金鑰",
        "family": "RSA",
        "key_size": 2048,
        "system": "SYS-TRADE",
        "primitive": "private-key",
        "where_used": "客戶憑證簽發（CA）",
    },
    {
        "code": "ALG-SETTLE-3DES",
        "kind": "algorithm",
        "name": "3DES-CBC",
        "family": "3DES",
        "key_size": 168,
        "system": "SYS-SETTLE",
        "where_used": "與銀行端之款項檔案加密（舊介面）",
    },
    {
        "code": "PROTO-SETTLE-IPSEC",
        "kind": "protocol",
        "name": "IPsec IKEv2",
        "family": "IPSEC",
        "parameter": "IKEv2",
        "system": "SYS-SETTLE",
        "where_used": "交割專線 VPN",
    },
    {
        "code": "LIB-OPENSSL",
        "kind": "library",
        "name": "OpenSSL",
        "version": "3.0.15",
        "pqc_capable": False,
        "system": "SYS-ETRADE",
        "where_used": "網路下單前端",
    },
    {
        "code": "ALG-BACKUP-AES",
        "kind": "algorithm",
        "name": "AES-256-GCM",
        "family": "AES",
        "key_size": 256,
        "system": "SYS-SETTLE",
        "where_used": "備份加密",
    },
    {
        "code": "ALG-MAIL-SHA1",
        "kind": "algorithm",
        "name": "SHA-1",
        "family": "SHA-1",
        "system": "SYS-MAIL",
        "where_used": "舊版郵件簽章",
    },
)
RISKS = {
    # x, y, business impact, dependency, ecosystem, international
    "SYS-ETRADE": (7, 3, 5, 4, 5, 3),
    "SYS-TRADE": (10, 4, 5, 5, 4, 3),
    "SYS-SETTLE": (15, 5, 5, 4, 4, 4),
    "SYS-MOBILE": (7, 2, 4, 3, 5, 2),
    "SYS-MAIL": (2, 1, 2, 2, 1, 1),
}


def load(context: Any) -> None:
    securities = context.organisations.get("securities")
    if securities is None or CryptoAsset.objects.filter(organisation=securities).exists():
        return
    systems = {s.code: s for s in InformationSystem.objects.filter(organisation=securities)}
    found = core.assets_from_tls(ETRADE_TLS, "SYS-ETRADE") + core.assets_from_tls(
        MOBILE_TLS, "SYS-MOBILE"
    )
    for asset in found:
        CryptoAsset.objects.create(
            organisation=securities,
            code=asset.id,
            kind=asset.kind.value,
            name=asset.name,
            family=asset.family or "",
            parameter=asset.parameter or "",
            key_size=asset.key_size,
            system=systems.get(asset.system or ""),
            where_used=asset.where_used,
            primitive=asset.primitive or "",
            signature_algorithm=asset.signature_algorithm or "",
            not_after=dt.date.fromisoformat(asset.not_after) if asset.not_after else None,
            source=Source.TLS,
        )
    for data in MANUAL:
        values = dict(data)
        system = systems.get(values.pop("system", ""))
        CryptoAsset.objects.create(organisation=securities, system=system, **values)
    today = timezone.localdate()
    for code, (x, y, impact, dependency, ecosystem, international) in RISKS.items():
        system = systems.get(code)
        if system is None:
            continue
        SystemCryptoRisk.objects.create(
            organisation=securities,
            system=system,
            data_secrecy_years=x,
            migration_years=y,
            business_impact=impact,
            business_dependency=dependency,
            ecosystem_linkage=ecosystem,
            international_alignment=international,
            assessed_on=today,
        )
    MigrationPlan.objects.create(organisation=securities)
