"""Crypto inventory core: quantum exposure rules and their sources, family recognition, the
risk factors, Mosca's inequality, plan ordering with reasons and milestones, assets from TLS
results, YAML inventories."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finres.core.crypto import (
    AssetKind,
    CryptoAsset,
    CryptoError,
    Level,
    SystemRisk,
    assets_from_tls,
    bits_of,
    exposure,
    family_of,
    inventory_from_data,
    load_inventory,
    load_rules,
    migration_plan,
    milestones,
    mosca,
    plan_data,
    years_score,
)

from ..conftest import SHARED

TODAY = dt.date(2026, 12, 7)
DEFS = SHARED / "data" / "cyclonedx-schema" / "cryptography-defs.json"


def a(name: str, kind: AssetKind = AssetKind.ALGORITHM, **fields: object) -> CryptoAsset:
    return CryptoAsset(id=fields.pop("id", name), kind=kind, name=name, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("asset", "level"),
    [
        (a("RSA-2048", AssetKind.KEY), Level.QUANTUM_VULNERABLE),
        (a("RSA-4096", AssetKind.KEY), Level.QUANTUM_VULNERABLE),  # size does not help
        (a("RSA-1024", AssetKind.KEY), Level.CLASSICALLY_WEAK),
        (a("ECDSA P-256"), Level.QUANTUM_VULNERABLE),
        (a("Ed25519"), Level.QUANTUM_VULNERABLE),
        (a("x25519", AssetKind.GROUP), Level.QUANTUM_VULNERABLE),
        (a("secp384r1", AssetKind.GROUP), Level.QUANTUM_VULNERABLE),
        (a("ffdhe2048", AssetKind.GROUP), Level.QUANTUM_VULNERABLE),
        (a("DSA", key_size=2048), Level.QUANTUM_VULNERABLE),
        (a("AES-128-GCM"), Level.GROVER_WEAKENED),
        (a("AES-256-GCM"), Level.QUANTUM_SAFE),
        (a("AES", key_size=192), Level.GROVER_WEAKENED),  # 96 bits left: under 128
        (a("ChaCha20-Poly1305"), Level.QUANTUM_SAFE),
        (a("SHA-256"), Level.QUANTUM_SAFE),
        (a("SHA384"), Level.QUANTUM_SAFE),
        (a("SHA3-512"), Level.QUANTUM_SAFE),
        (a("SHA-1"), Level.CLASSICALLY_WEAK),
        (a("MD5"), Level.CLASSICALLY_WEAK),
        (a("3DES-CBC"), Level.CLASSICALLY_WEAK),
        (a("RC4"), Level.CLASSICALLY_WEAK),
        (a("X25519MLKEM768", AssetKind.GROUP), Level.QUANTUM_SAFE),
        (a("SecP256r1MLKEM768", AssetKind.GROUP), Level.QUANTUM_SAFE),
        (a("ML-KEM-768"), Level.QUANTUM_SAFE),
        (a("ML-DSA-65"), Level.QUANTUM_SAFE),
        (a("SLH-DSA-SHA2-128s"), Level.QUANTUM_SAFE),
        (a("HMAC-SHA256"), Level.QUANTUM_SAFE),
        (a("something proprietary"), Level.UNKNOWN),
        (a("TLSv1.0", AssetKind.PROTOCOL, family="TLS", parameter="1.0"), Level.CLASSICALLY_WEAK),
        (a("TLSv1.1", AssetKind.PROTOCOL), Level.CLASSICALLY_WEAK),
        (a("TLSv1.2", AssetKind.PROTOCOL), Level.QUANTUM_VULNERABLE),
        (a("TLSv1.3", AssetKind.PROTOCOL), Level.QUANTUM_SAFE),
        (a("IPsec IKEv2", AssetKind.PROTOCOL, family="IPSEC"), Level.UNKNOWN),
        (a("HSM", AssetKind.HSM, pqc_capable=False), Level.QUANTUM_VULNERABLE),
        (a("HSM", AssetKind.HSM, pqc_capable=True), Level.QUANTUM_SAFE),
        (a("OpenSSL", AssetKind.LIBRARY), Level.UNKNOWN),
        (
            a(
                "CN=x",
                AssetKind.CERTIFICATE,
                family="RSA",
                key_size=2048,
                signature_algorithm="sha1WithRSAEncryption",
            ),
            Level.CLASSICALLY_WEAK,
        ),
        (
            a(
                "CN=x",
                AssetKind.CERTIFICATE,
                family="ECDSA",
                key_size=256,
                signature_algorithm="ecdsa-with-SHA256",
            ),
            Level.QUANTUM_VULNERABLE,
        ),
    ],
)
def test_exposure_rules(asset: CryptoAsset, level: Level) -> None:
    found = exposure(asset)
    assert found.level == level, found.reason("en")
    assert found.reason("en") and found.reason("zh-TW")
    assert set(found.sources) <= set(load_rules().sources)


def test_reasons_name_the_quantum_algorithm_and_the_replacement() -> None:
    rsa = exposure(a("RSA-2048", AssetKind.KEY))
    assert "Shor" in rsa.reason("en") and rsa.replacement
    assert "nist-ir-8547" in rsa.sources
    aes = exposure(a("AES-128-GCM"))
    assert "64" in aes.reason("en") and aes.replacement == "AES-256" and "grover" in aes.sources
    assert exposure(a("AES-256-GCM")).replacement is None  # nothing to change
    assert exposure(a("ML-KEM-768")).sources == ("fips-203",)


def test_a_hash_size_in_a_signature_name_is_not_a_key_size() -> None:
    found = exposure(a("SHA512withRSA"))
    assert found.level == Level.QUANTUM_VULNERABLE  # not "RSA with 512 bits: weak"


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("sha256WithRSAEncryption", "RSASSA-PKCS1"),
        ("RSASSA-PSS", "RSASSA-PSS"),
        ("ecdsa-with-SHA256", "ECDSA"),
        ("x25519", "ECDH"),
        ("X25519MLKEM768", "HYBRID-ML-KEM"),
        ("sntrup761x25519-sha512", "HYBRID-SNTRUP"),
        ("aes-128-gcm", "AES"),
        ("aes256gcm", "AES"),
        ("chacha20-poly1305", "ChaCha20"),
        ("DES-CBC3-SHA", "3DES"),
        ("SHA-384", "SHA-2"),
        ("SHA3-256", "SHA-3"),
        ("ML-DSA-87", "ML-DSA"),
        ("Ed448", "EdDSA"),
        ("FFDHE3072", "FFDH"),
    ],
)
def test_families_from_names(name: str, family: str) -> None:
    assert family_of(name) == family


def test_bits_from_names() -> None:
    assert bits_of("RSA-2048") == 2048
    assert bits_of("secp384r1") == 384
    assert bits_of("x25519") == 256
    assert bits_of("AES_256_GCM") == 256
    assert bits_of("ML-KEM") is None


@pytest.mark.skipif(not DEFS.is_dir() and not DEFS.is_file(), reason="shared data not here")
def test_every_cyclonedx_family_is_classified() -> None:
    """The rules cover every algorithm family CycloneDX's cryptography-defs.json names."""
    names = {entry["family"] for entry in json.loads(DEFS.read_text())["algorithms"]}
    rules = load_rules()
    assert sorted(names - set(rules.families)) == []
    extra = set(rules.families) - names
    assert extra == {"RSA", "HYBRID-ML-KEM", "HYBRID-SNTRUP"}  # names for what CycloneDX splits


def test_rules_cite_known_sources_and_the_factors_of_the_measure() -> None:
    rules = load_rules()
    assert rules.horizon_year == 2035 and rules.horizon_source == "nist-ir-8547"
    assert [f.id for f in rules.factors] == [
        "data-confidentiality-period",
        "business-impact",
        "business-dependency",
        "ecosystem-linkage",
        "international-alignment",
        "crypto-vulnerability",
    ]
    assert [f.name["zh-TW"] for f in rules.factors] == [
        "資料保密期間",
        "業務衝擊",
        "業務相依性",
        "生態系關聯性",
        "國際接軌",
        "加密技術脆弱性",
    ]
    assert all(sorted(f.levels) == [1, 2, 3, 4, 5] for f in rules.factors)
    assert [p[1]["zh-TW"] for p in rules.preparation] == [
        "培訓技術人力",
        "調查主要供應商",
        "提升加密敏捷性",
        "制定系統汰換採購策略",
    ]


def test_the_factor_and_item_ids_are_the_librarys_nodes() -> None:
    from finres.core.library import load_library

    library = load_library()
    framework = library.framework("fsc-resilience-blueprint-2025")
    ids = {node.id for node in framework.requirements}
    rules = load_rules()
    for factor in rules.factors:
        assert f"m-17-1.risk-assessment.{factor.id}" in ids
    for item_id, _name in rules.preparation:
        assert f"m-17-1.preparatory-work.{item_id}" in ids


# --- Mosca ---------------------------------------------------------------------------------------


def test_mosca() -> None:
    assert mosca(10, 3, 9).at_risk is True
    assert mosca(5, 4, 9).at_risk is False  # x + y = z: just in time
    assert mosca(None, 3, 9).at_risk is None
    assert mosca(1, 1, -5).z == 0  # a horizon in the past is now
    assert "13" in mosca(10, 3, 9).explanation("en")


@given(st.integers(0, 100), st.integers(0, 50), st.integers(0, 100))
def test_mosca_is_the_inequality(x: int, y: int, z: int) -> None:
    result = mosca(x, y, z)
    assert result.at_risk == (x + y > z)
    assert result.as_data()["margin"] == z - x - y


@given(st.integers(0, 100), st.integers(0, 100))
def test_a_longer_secrecy_period_never_scores_lower(x: int, more: int) -> None:
    assert years_score(x + more) >= years_score(x)  # type: ignore[operator]
    assert 1 <= years_score(x) <= 5  # type: ignore[operator]


# --- plan ---------------------------------------------------------------------------------------


def test_the_plan_puts_data_at_risk_now_first_then_the_higher_score() -> None:
    assets = [
        a("RSA-2048", AssetKind.KEY, id="k1", system="HIGH"),
        a("RSA-2048", AssetKind.KEY, id="k2", system="URGENT"),
        a("AES-256-GCM", id="s", system="LOW"),
    ]
    systems = [
        SystemRisk(
            "HIGH",
            "High",
            2,
            1,
            {
                "business-impact": 5,
                "business-dependency": 5,
                "ecosystem-linkage": 5,
                "international-alignment": 5,
            },
        ),
        SystemRisk("URGENT", "Urgent", 10, 3, {"business-impact": 1}),
        SystemRisk(
            "LOW",
            "Low",
            1,
            1,
            {
                "business-impact": 1,
                "business-dependency": 1,
                "ecosystem-linkage": 1,
                "international-alignment": 1,
            },
        ),
        SystemRisk("UNKNOWN", "Unknown"),
    ]
    entries = migration_plan(assets, systems, TODAY, 2035)
    assert [e.system for e in entries] == ["URGENT", "UNKNOWN", "HIGH", "LOW"]
    assert [e.rank for e in entries] == [1, 2, 3, 4]
    high = entries[2]
    assert high.total == 2 + 5 + 5 + 5 + 5 + 4  # 2 years of secrecy score 2
    assert high.score("crypto-vulnerability") == 4
    assert entries[3].score("crypto-vulnerability") == 1
    assert entries[1].score("crypto-vulnerability") == 3  # nothing inventoried: to be confirmed


def test_plan_data_is_the_documented_contract() -> None:
    inventory = inventory_from_data(
        {
            "threat_horizon_year": 2030,
            "systems": [
                {
                    "code": "S1",
                    "name": "E-trading",
                    "data_secrecy_years": 7,
                    "migration_years": 2,
                    "scores": {"business-impact": 5},
                }
            ],
            "assets": [
                {"kind": "group", "name": "x25519", "system": "S1"},
                {"kind": "algorithm", "name": "AES-128-GCM"},
            ],
            "milestones": {"staff-training": {"due": "2027-06-30", "done": True}},
        },
        "inline",
    )
    data = plan_data(
        inventory.assets,
        inventory.systems,
        TODAY,
        inventory.horizon_year,
        inventory.milestones,
        "en",
    )
    assert set(data) == {
        "generated",
        "threat_horizon",
        "summary",
        "assets",
        "plan",
        "milestones",
        "sources",
    }
    assert data["threat_horizon"] == {"year": 2030, "years": 4, "source": None}
    assert data["summary"] == {
        "assets": 2,
        "by_exposure": {
            "classically_weak": 0,
            "quantum_vulnerable": 1,
            "unknown": 0,
            "grover_weakened": 1,
            "quantum_safe": 0,
        },
    }
    asset = data["assets"][0]
    assert set(asset["exposure"]) == {
        "level",
        "label",
        "severity",
        "reason",
        "replacement",
        "sources",
    }
    first = data["plan"][0]
    assert first["system"] == "S1" and first["at_risk_now"] is True and first["rank"] == 1
    assert first["mosca"] == {
        "x": 7,
        "y": 2,
        "z": 4,
        "margin": -5,
        "at_risk_now": True,
        "explanation": first["reasons"][0],
    }
    assert {f["id"]: f["given"] for f in first["factors"]}["business-impact"] is True
    assert first["actions"][0]["name"] == "x25519"
    assert "ML-KEM" in first["actions"][0]["replacement"]
    assert data["plan"][1]["system"] is None and data["plan"][1]["name"] == "(no system)"
    assert [m["id"] for m in data["milestones"]] == [
        "staff-training",
        "supplier-survey",
        "crypto-agility",
        "replacement-procurement-strategy",
        "migrate:S1",
    ]
    assert data["milestones"][0]["due"] == "2027-06-30" and data["milestones"][0]["done"]


def test_a_safe_system_gets_no_migration_milestone() -> None:
    entries = migration_plan([a("ML-KEM-768", system="OK")], [SystemRisk("OK", "", 1, 1)], TODAY)
    assert [m["id"] for m in milestones(entries)][4:] == []


# --- TLS results and inventories ---------------------------------------------------------------

TLS_RESULT = {
    "target": "127.0.0.1:8443",
    "protocols": {"TLSv1.0": False, "TLSv1.1": True, "TLSv1.2": True, "TLSv1.3": True},
    "cipher_suites": {
        "TLSv1.2": [{"name": "X", "cipher": "aes-128-gcm", "bits": 128}],
        "TLSv1.3": [{"name": "Y", "cipher": "aes256gcm", "bits": 256}],
    },
    "groups": ["X25519MLKEM768", "x25519"],
    "certificate": {
        "subject": "CN=localhost",
        "key_type": "RSA",
        "key_size": 2048,
        "signature_algorithm": "sha256WithRSAEncryption",
        "not_after": "2027-01-01T00:00:00+00:00",
    },
}


def test_assets_from_a_tls_result() -> None:
    found = {x.name: x for x in assets_from_tls(TLS_RESULT, "SYS-E")}
    assert sorted(found) == sorted(
        [
            "TLSv1.1",
            "TLSv1.2",
            "TLSv1.3",
            "X25519MLKEM768",
            "x25519",
            "aes-128-gcm",
            "aes256gcm",
            "CN=localhost",
        ]
    )
    assert {x.system for x in found.values()} == {"SYS-E"}
    certificate = found["CN=localhost"]
    assert (certificate.kind, certificate.family, certificate.key_size) == (
        AssetKind.CERTIFICATE,
        "RSA",
        2048,
    )
    assert certificate.not_after == "2027-01-01"
    levels = {name: exposure(x).level for name, x in found.items()}
    assert levels["TLSv1.1"] == Level.CLASSICALLY_WEAK
    assert levels["X25519MLKEM768"] == Level.QUANTUM_SAFE
    assert levels["x25519"] == Level.QUANTUM_VULNERABLE
    assert levels["aes-128-gcm"] == Level.GROVER_WEAKENED


def test_assets_from_a_tls_observation_object() -> None:
    from finres.core.checks.tls import Certificate, Observation

    seen = Observation(
        "10.0.0.1",
        443,
        "trade.example",
        reachable=True,
        protocols={"TLSv1.3": True},
        groups=["X25519MLKEM768"],
    )
    seen.certificate = Certificate(
        "CN=trade.example",
        "CN=ca",
        "EC",
        256,
        "ecdsa-with-SHA256",
        "sha256",
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        True,
        False,
        2,
    )
    found = assets_from_tls(seen)
    assert [x.kind for x in found] == [AssetKind.PROTOCOL, AssetKind.GROUP, AssetKind.CERTIFICATE]
    assert found[2].family == "ECDSA"


def test_inventory_errors_name_the_place(tmp_path: Path) -> None:
    with pytest.raises(CryptoError) as caught:
        inventory_from_data({"assets": [{"kind": "gadget", "name": "x"}]}, "f.yaml")
    assert caught.value.place == "assets[0].kind"
    with pytest.raises(CryptoError) as caught:
        inventory_from_data({"systems": [{"code": "S", "scores": {"business-impact": 9}}]}, "f")
    assert "1 to 5" in str(caught.value)
    with pytest.raises(CryptoError) as caught:
        inventory_from_data(
            {"systems": [{"code": "S", "scores": {"crypto-vulnerability": 2}}]}, "f"
        )
    assert "unknown factors" in str(caught.value)
    with pytest.raises(CryptoError):
        inventory_from_data({"surprise": 1}, "f")
    with pytest.raises(CryptoError) as caught:
        inventory_from_data(
            {
                "assets": [
                    {"kind": "key", "name": "k", "id": "x"},
                    {"kind": "key", "name": "l", "id": "x"},
                ]
            },
            "f",
        )
    assert "twice" in str(caught.value)
    bad = tmp_path / "bad.yaml"
    bad.write_text("assets: [\n")
    with pytest.raises(CryptoError) as caught:
        load_inventory(bad)
    assert "YAML" in str(caught.value)
    tls = tmp_path / "tls.json"
    tls.write_text(json.dumps([TLS_RESULT, {"nope": 1}]))
    with pytest.raises(CryptoError) as caught:
        load_inventory(tls)
    assert caught.value.place == "[1]"
    tls.write_text(json.dumps([TLS_RESULT]))
    assert len(load_inventory(tls).assets) == 8
