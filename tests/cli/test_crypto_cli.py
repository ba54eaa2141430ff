"""``finres crypto plan`` and ``finres crypto cbom``: the JSON contract, the 80-column table in
both languages, the CBOM written and read back, clear one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from finres.core.crypto import import_cbom

from .test_cli import run, run_json

INVENTORY = """
threat_horizon_year: 2035
systems:
  - code: SYS-ETRADE
    name: 網路下單系統
    data_secrecy_years: 10
    migration_years: 3
    scores: {business-impact: 5, business-dependency: 4, ecosystem-linkage: 5,
             international-alignment: 3}
  - code: SYS-MAIL
    name: 電子郵件
    data_secrecy_years: 1
    migration_years: 1
assets:
  - {id: etrade-cert, kind: certificate, name: CN=trade.example.com.tw, family: RSA,
     key_size: 2048, system: SYS-ETRADE}
  - {kind: group, name: x25519, system: SYS-ETRADE}
  - {kind: algorithm, name: AES-128-GCM, system: SYS-MAIL}
milestones:
  staff-training: {due: 2027-06-30}
"""
TLS = {
    "target": "127.0.0.1:8443",
    "protocols": {"TLSv1.2": True, "TLSv1.3": True},
    "cipher_suites": {"TLSv1.3": [{"cipher": "aes256gcm", "bits": 256}]},
    "groups": ["X25519MLKEM768"],
    "certificate": {
        "subject": "CN=localhost",
        "key_type": "RSA",
        "key_size": 2048,
        "signature_algorithm": "sha256WithRSAEncryption",
        "not_after": "2027-01-01T00:00:00+00:00",
    },
}


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY, encoding="utf-8")
    return path


def test_plan_json_contract(capsys, inventory: Path) -> None:
    data = run_json(capsys, "crypto", "plan", "--inventory", str(inventory), "--format", "json")
    assert set(data) == {
        "generated",
        "threat_horizon",
        "summary",
        "assets",
        "plan",
        "milestones",
        "sources",
    }
    assert data["threat_horizon"]["year"] == 2035
    assert [e["system"] for e in data["plan"]] == ["SYS-ETRADE", "SYS-MAIL"]
    first = data["plan"][0]
    assert (
        first["at_risk_now"] is True and first["score"] == 3 + 5 + 4 + 5 + 3 + 4
    )  # 10 years score 3
    assert first["reasons"][0].startswith("x + y = 13 年 > z = ")
    assert data["milestones"][0] == {
        "id": "staff-training",
        "kind": "preparation",
        "title": "培訓技術人力",
        "system": None,
        "due": "2027-06-30",
        "done": False,
    }
    assert data["milestones"][-1]["id"] == "migrate:SYS-ETRADE"
    english = run_json(
        capsys,
        "crypto",
        "plan",
        "--inventory",
        str(inventory),
        "--format",
        "json",
        "--lang",
        "en",
        "--horizon-year",
        "2040",
    )
    assert english["threat_horizon"]["year"] == 2040
    assert english["assets"][0]["exposure"]["label"] == "Broken by a quantum computer"


def test_plan_table_fits_80_columns(capsys, inventory: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    for lang in ("zh-TW", "en"):
        code, out, err = run(
            capsys, "crypto", "plan", "--inventory", str(inventory), "--lang", lang
        )
        assert code == 0, err
        from rich.cells import cell_len

        assert max(cell_len(line) for line in out.splitlines()) <= 80
        assert "SYS-ETRADE" in out
    assert "PQC migration plan" in out and "Milestones:" in out
    code, out, _ = run(capsys, "crypto", "plan", "--inventory", str(inventory))
    assert "PQC 遷移計畫" in out and "培訓技術人力" in out and "Crypto assets" not in out


def test_cbom_from_yaml_and_tls_results_reads_back(capsys, inventory: Path, tmp_path: Path) -> None:
    tls = tmp_path / "tls.json"
    tls.write_text(json.dumps([TLS]))
    out_file = tmp_path / "cbom.json"
    code, _out, err = run(
        capsys,
        "crypto",
        "cbom",
        "--inventory",
        str(inventory),
        "--inventory",
        str(tls),
        "--system",
        "SYS-GW",
        "-o",
        str(out_file),
    )
    assert code == 0, err
    document = json.loads(out_file.read_text())
    assets = import_cbom(document, "x")
    assert len(assets) == 3 + 5  # two protocols, a group, a cipher, the certificate
    assert {a.system for a in assets if a.source == "tls"} == {"SYS-GW"}
    assert {a.system for a in assets if a.source == "manual"} == {"SYS-ETRADE", "SYS-MAIL"}
    data = run_json(capsys, "crypto", "plan", "--inventory", str(out_file), "--format", "json")
    assert data["summary"]["assets"] == 8
    printed = run_json(capsys, "crypto", "cbom", "--inventory", str(tls))
    assert printed["bomFormat"] == "CycloneDX" and printed["specVersion"] == "1.6"


def test_errors_are_one_line(capsys, tmp_path: Path, inventory: Path) -> None:
    code, _, err = run(capsys, "crypto", "plan", "--inventory", str(tmp_path / "none.yaml"))
    assert code != 0 and "none.yaml" in err and "Traceback" not in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("assets:\n  - {kind: gadget, name: x}\n")
    code, _, err = run(capsys, "crypto", "plan", "--inventory", str(bad), "--lang", "en")
    assert code != 0 and "assets[0].kind" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(
        capsys,
        "crypto",
        "plan",
        "--inventory",
        str(inventory),
        "--inventory",
        str(inventory),
        "--lang",
        "en",
    )
    assert code != 0 and "etrade-cert" in err
    cbom = tmp_path / "cbom.json"
    cbom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "components": [
                    {
                        "type": "cryptographic-asset",
                        "name": "x",
                        "cryptoProperties": {"assetType": "nope"},
                    }
                ],
            }
        )
    )
    code, _, err = run(capsys, "crypto", "plan", "--inventory", str(cbom))
    assert code != 0 and "components[0].cryptoProperties.assetType" in err
