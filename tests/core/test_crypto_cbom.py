"""CBOM: CycloneDX 1.6 ``cryptographic-asset`` import (validated whole, precise errors) and the
export of the inventory, validated against the official schema files in shared/data (not only
the copy bundled with cyclonedx-python-lib); the round trip keeps every field."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finres.core.crypto import (
    AssetKind,
    CryptoAsset,
    CryptoError,
    export_cbom,
    import_cbom,
    load_cbom,
)

from ..conftest import SHARED

SCHEMAS = SHARED / "data" / "cyclonedx-schema"
EXAMPLES = SHARED / "data" / "sbom" / "cyclonedx" / "bom-examples" / "CBOM"
needs_data = pytest.mark.skipif(not SCHEMAS.is_dir(), reason="the shared data folder is not here")


@functools.cache
def official_validator() -> Any:
    """jsonschema-rs over shared/data/cyclonedx-schema/bom-1.6.schema.json and its references."""
    import jsonschema_rs

    def read(name: str) -> Any:
        return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))

    base = "http://cyclonedx.org/schema/"
    registry = jsonschema_rs.Registry(
        [
            (f"{base}spdx.schema.json", read("spdx.schema.json")),
            (f"{base}jsf-0.82.schema.json", read("jsf-0.82.schema.json")),
            (f"{base}cryptography-defs.schema.json", read("cryptography-defs.schema.json")),
        ]
    )
    return jsonschema_rs.validator_for(
        read("bom-1.6.schema.json"), registry=registry, validate_formats=True
    )


def valid(document: dict[str, Any]) -> list[str]:
    return [
        f"{list(e.instance_path)}: {e.message}" for e in official_validator().iter_errors(document)
    ]


EVERY_KIND = [
    CryptoAsset(
        "p",
        AssetKind.PROTOCOL,
        "TLSv1.3",
        "TLS",
        "1.3",
        system="SYS-E",
        where_used="TLS trade:443",
        source="tls",
    ),
    CryptoAsset(
        "g",
        AssetKind.GROUP,
        "X25519MLKEM768",
        "HYBRID-ML-KEM",
        "X25519MLKEM768",
        primitive="kem",
        system="SYS-E",
    ),
    CryptoAsset(
        "c",
        AssetKind.CERTIFICATE,
        "CN=trade.example",
        "RSA",
        "RSA",
        2048,
        "SYS-E",
        signature_algorithm="sha256WithRSAEncryption",
        not_after="2027-03-31",
    ),
    CryptoAsset(
        "k",
        AssetKind.KEY,
        "CA signing key",
        "ECDSA",
        "P-256",
        256,
        primitive="private-key",
        notes="in the HSM",
    ),
    CryptoAsset("a", AssetKind.ALGORITHM, "AES-128-GCM", "AES", None, 128, primitive="ae"),
    CryptoAsset("l", AssetKind.LIBRARY, "OpenSSL", version="3.5.0", pqc_capable=True),
    CryptoAsset("h", AssetKind.HSM, "Signing HSM", version="7.8", pqc_capable=False),
]


@needs_data
def test_the_export_validates_against_the_official_schema_and_round_trips() -> None:
    document = export_cbom(EVERY_KIND, "Demo Securities")
    assert valid(document) == []
    assert document["specVersion"] == "1.6"
    kinds = {c["bom-ref"]: c["type"] for c in document["components"]}
    assert (
        kinds["l"] == "library" and kinds["h"] == "device" and kinds["c"] == "cryptographic-asset"
    )
    assert import_cbom(json.loads(json.dumps(document)), "x") == EVERY_KIND


@needs_data
@pytest.mark.parametrize(
    "example", ["Protocol", "Certificate", "Key", "Algorithm", "Example-With-Dependencies"]
)
def test_the_cyclonedx_cbom_examples_import(example: str) -> None:
    assets = load_cbom(EXAMPLES / example / "bom.json")
    assert assets and all(a.source == "cbom" for a in assets)
    by_name = {a.name: a for a in assets}
    if example == "Certificate":
        certificate = next(a for a in assets if a.kind == AssetKind.CERTIFICATE)
        # the key and the signature algorithm are followed through their bom-refs
        assert (certificate.family, certificate.key_size) == ("RSA", 2048)
        assert certificate.signature_algorithm == "SHA512withRSA"
        assert certificate.not_after == "2017-11-22"
    if example == "Protocol":
        assert (
            by_name["TLSv1.2"].kind == AssetKind.PROTOCOL and by_name["TLSv1.2"].parameter == "1.2"
        )
        assert by_name["AES-256-GCM"].key_size == 256


@needs_data
@pytest.mark.parametrize(
    "name", ["valid-cryptography-full-1.6.json", "valid-cryptography-implementation-1.6.json"]
)
def test_the_official_valid_crypto_documents_import(name: str) -> None:
    assets = load_cbom(SCHEMAS / "test-resources" / "1.6" / name)
    assert assets


def cbom(components: list[dict[str, Any]], version: str = "1.6") -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": version,
        "version": 1,
        "components": components,
    }


def test_a_schema_violation_is_refused_with_its_place() -> None:
    document = cbom(
        [
            {
                "type": "cryptographic-asset",
                "name": "ok",
                "cryptoProperties": {"assetType": "algorithm"},
            },
            {
                "type": "cryptographic-asset",
                "name": "bad",
                "cryptoProperties": {
                    "assetType": "algorithm",
                    "algorithmProperties": {"primitive": "magic"},
                },
            },
        ]
    )
    with pytest.raises(CryptoError) as caught:
        import_cbom(document, "upload.json")
    assert caught.value.place == "components[1].cryptoProperties.algorithmProperties.primitive"
    assert "magic" in caught.value.problem


def test_other_refusals() -> None:
    with pytest.raises(CryptoError) as caught:
        import_cbom(cbom([], "1.5"), "f")
    assert caught.value.place == "specVersion"
    with pytest.raises(CryptoError):
        import_cbom({"spdxVersion": "SPDX-2.3"}, "f")
    twice = [
        {
            "type": "cryptographic-asset",
            "name": n,
            "bom-ref": "same",
            "cryptoProperties": {"assetType": "algorithm"},
        }
        for n in ("a", "b")
    ]
    with pytest.raises(CryptoError) as caught:
        import_cbom(cbom(twice), "f")
    assert "twice" in caught.value.problem and caught.value.place == "components[1]"
    odd = [
        {"type": "library", "name": "x", "properties": [{"name": "finres:kind", "value": "toy"}]}
    ]
    with pytest.raises(CryptoError) as caught:
        import_cbom(cbom(odd), "f")
    assert "toy" in caught.value.problem


def test_plain_software_components_are_not_crypto_assets() -> None:
    document = cbom(
        [
            {"type": "library", "name": "requests", "version": "2.32.0"},
            {
                "type": "cryptographic-asset",
                "name": "ML-KEM-768",
                "cryptoProperties": {
                    "assetType": "algorithm",
                    "algorithmProperties": {"primitive": "kem"},
                },
                "components": [
                    {
                        "type": "cryptographic-asset",
                        "name": "SHA3-256",
                        "cryptoProperties": {"assetType": "algorithm"},
                    }
                ],
            },
        ]
    )
    assets = import_cbom(document, "f")
    assert [(a.name, a.family) for a in assets] == [("ML-KEM-768", "ML-KEM"), ("SHA3-256", "SHA-3")]


names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30
)


@st.composite
def assets(draw: Any) -> list[CryptoAsset]:
    count = draw(st.integers(1, 6))
    out = []
    for index in range(count):
        kind = draw(st.sampled_from(list(AssetKind)))
        out.append(
            CryptoAsset(
                id=f"asset-{index}",
                kind=kind,
                name=draw(names).strip() or "x",
                family=draw(st.none() | st.sampled_from(["RSA", "AES", "ML-KEM", "ECDH", "TLS"])),
                parameter=draw(st.none() | st.sampled_from(["1.3", "P-256", "768"])),
                key_size=draw(st.none() | st.integers(1, 65536)),
                system=draw(st.none() | st.sampled_from(["SYS-A", "SYS-B"])),
                where_used=draw(st.sampled_from(["", "gateway"])),
                primitive=draw(st.none() | st.sampled_from(["kem", "ae", "private-key"])),
                not_after=draw(st.none() | st.just("2030-01-31"))
                if kind == AssetKind.CERTIFICATE
                else None,
                version=draw(st.none() | st.just("1.0")),
                pqc_capable=draw(st.none() | st.booleans()),
                source=draw(st.sampled_from(["manual", "tls"])),
            )
        )
    return out


@needs_data
@settings(max_examples=40, deadline=None)
@given(assets())
def test_any_inventory_exports_valid_and_comes_back_unchanged(found: list[CryptoAsset]) -> None:
    document = export_cbom(found)
    assert valid(document) == []
    assert import_cbom(json.loads(json.dumps(document)), "x") == found


def test_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(b"{nope")
    with pytest.raises(CryptoError) as caught:
        load_cbom(path)
    assert "line 1" in caught.value.place


def test_deeply_nested_json_is_an_error_not_a_crash(tmp_path: Path) -> None:
    from finres.core.crypto import load_inventory

    path = tmp_path / "deep.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(CryptoError) as caught:
        load_inventory(path)
    assert "nested too deeply" in caught.value.problem
    path.write_bytes(b'{"a":' * 100_000 + b"1" + b"}" * 100_000)
    with pytest.raises(CryptoError):
        load_cbom(path)
