"""SSH checks against real SSH servers on loopback (paramiko's server side), audited by
ssh-audit, and what they add to the crypto inventory."""

from __future__ import annotations

import json
from pathlib import Path

import paramiko

from finres.core.checks.ssh import scan
from finres.core.crypto import assets_from_check_results, exposure, load_inventory

from ..cli.test_cli import run, run_json
from .ssh_servers import ssh_server

# paramiko no longer speaks SHA-1 key exchanges: the oldest it offers
LEGACY_KEX = ["diffie-hellman-group14-sha256", "ecdh-sha2-nistp256"]
LEGACY_CIPHERS = ["aes128-cbc", "3des-cbc"]
LEGACY_MACS = ["hmac-sha1", "hmac-md5"]
CONTRACT = {
    "target", "reachable", "error", "banner", "kex", "post_quantum_hybrid", "host_keys",
    "ciphers", "macs", "not_recommended", "audited_by",
}  # fmt: skip


def test_a_modern_server_offers_a_hybrid_post_quantum_key_exchange() -> None:
    with ssh_server() as port:
        data = scan("127.0.0.1", port)
    assert set(data) == CONTRACT and data["reachable"] and data["error"] is None
    assert data["banner"].startswith("SSH-2.0-paramiko")
    names = [k["algorithm"] for k in data["kex"]]
    assert "mlkem768x25519-sha256" in names and data["post_quantum_hybrid"] is True
    assert not any(name.startswith("kex-strict") for name in names)  # a marker, not a kex
    assert {"algorithm": "rsa-sha2-512", "key_size": 2048} in data["host_keys"]
    assert "aes256-gcm@openssh.com" in data["ciphers"] and "hmac-sha2-256" in data["macs"]


def test_a_legacy_server_is_seen_as_it_is() -> None:
    key = paramiko.RSAKey.generate(1024)
    with ssh_server(key, LEGACY_KEX, LEGACY_CIPHERS, LEGACY_MACS) as port:
        data = scan("127.0.0.1", port)
    assert [k["algorithm"] for k in data["kex"]] == LEGACY_KEX
    assert data["post_quantum_hybrid"] is False
    assert data["ciphers"] == LEGACY_CIPHERS and data["macs"] == LEGACY_MACS
    assert {k["key_size"] for k in data["host_keys"]} == {1024}
    flagged = {item["algorithm"] for item in data["not_recommended"]}
    assert {"ecdh-sha2-nistp256", "3des-cbc", "hmac-md5"} <= flagged
    assert all(item["reason"] for item in data["not_recommended"])


def test_an_unreachable_server_is_an_error_not_a_traceback() -> None:
    with ssh_server() as port:
        pass  # closed again: nothing listens there now
    data = scan("127.0.0.1", port, timeout=2)
    assert data["reachable"] is False and "refused" in data["error"].lower()
    assert data["kex"] == [] and data["host_keys"] == []


def test_the_inventory_takes_the_ssh_result_with_its_quantum_exposure(tmp_path: Path) -> None:
    key = paramiko.RSAKey.generate(1024)
    with ssh_server(key, ["mlkem768x25519-sha256", *LEGACY_KEX], LEGACY_CIPHERS) as port:
        data = scan("127.0.0.1", port)
    assets = {a.name: a for a in assets_from_check_results(data, "ssh.json")}
    level = {name: exposure(asset).level.value for name, asset in assets.items()}
    assert level["mlkem768x25519-sha256"] == "quantum_safe"
    assert level["diffie-hellman-group14-sha256"] == "quantum_vulnerable"
    assert assets["diffie-hellman-group14-sha256"].key_size == 2048  # the group, not the hash
    assert level["ecdh-sha2-nistp256"] == "quantum_vulnerable"
    assert level["rsa-sha2-512"] == "classically_weak"  # a 1024-bit host key
    assert level["3des-cbc"] != "quantum_safe"
    assert all(
        a.source == "ssh" and a.where_used == f"SSH {data['target']}" for a in assets.values()
    )
    path = tmp_path / "ssh.json"
    path.write_text(json.dumps({**data, "system": "SYS-ADMIN"}), encoding="utf-8")
    inventory = load_inventory(path)
    assert {a.system for a in inventory.assets} == {"SYS-ADMIN"}


def test_the_command_line_contract(capsys) -> None:
    with ssh_server() as port:
        data = run_json(capsys, "check", "ssh", f"127.0.0.1:{port}", "--format", "json")
        assert set(data) == CONTRACT and data["post_quantum_hybrid"] is True
        code, table, _ = run(capsys, "check", "ssh", f"127.0.0.1:{port}", "--lang", "zh-TW")
    assert code == 0 and "金鑰交換" in table and "mlkem768x25519-sha256" in table
    code, _, error = run(capsys, "check", "ssh", "no-port-here")
    assert code != 0 and "no-port-here" in error
