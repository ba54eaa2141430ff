"""TLS checks of e-trading endpoints against real servers on loopback, and the rules alone."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from finres.core.checks.tls import Certificate, Observation, Suite, scan
from finres.core.checks.tls_rules import findings, report
from finres.core.library import load_library

from ..cli.test_cli import run
from .tls_servers import certificate, https_server, hybrid_server, openssl_server

GOOD = (
    "-cipher", "ECDHE+AESGCM:ECDHE+CHACHA20",
    "-ciphersuites", "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
    "-groups", "X25519:P-256",
)  # fmt: skip
LEGACY = ("-cipher", "ALL:@SECLEVEL=0", "-min_protocol", "TLSv1")


def statuses(data: dict[str, Any]) -> dict[str, str]:
    return {f["requirement"]: f["status"] for f in data["findings"]}


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("certs")
    return {
        "good": certificate(folder, "good"),
        "weak": certificate(folder, "weak", key="rsa1024-sha1"),
        "expired": certificate(folder, "expired", days=(-60, -1)),
        "ec": certificate(folder, "ec", key="ec"),
    }


def test_a_well_configured_endpoint_passes_what_a_scan_can_decide(certs) -> None:
    with openssl_server(*certs["good"], *GOOD) as port:
        data = report(scan("127.0.0.1", port, "localhost"), language="en")
    assert data["protocols"] == {
        "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True,
    }  # fmt: skip
    assert data["groups"] == ["x25519", "secp256r1"]
    assert {s["name"] for s in data["cipher_suites"]["TLSv1.3"]} == {
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
    }  # fmt: skip
    # the cipher and its key bits, spelt as for TLS 1.2 suites ("SHA256" is the hash, not AES's)
    assert {(s["cipher"], s["bits"]) for s in data["cipher_suites"]["TLSv1.3"]} == {
        ("aes-128-gcm", 128), ("aes-256-gcm", 256),
    }  # fmt: skip
    assert all(s["key_exchange"] == "ecdhe" for s in data["cipher_suites"]["TLSv1.2"])
    cert = data["certificate"]
    assert (cert["key_type"], cert["key_size"], cert["hostname_matches"]) == ("RSA", 2048, True)
    assert cert["signature_algorithm"] == "sha256WithRSAEncryption"
    got = statuses(data)
    assert {r: got[r] for r in ("art-34-1", "art-34-2", "art-34-3", "art-36-2")} == dict.fromkeys(
        ("art-34-1", "art-34-2", "art-34-3", "art-36-2"), "pass"
    )
    # What a network scan cannot decide is never a pass.
    for requirement in ("art-34-4", "art-34-5", "art-36-1", "art-36-3", "art-36-5", "art-36-6"):
        assert got[requirement] == "needs_evidence"


def test_the_hsts_header_is_read_from_an_http_endpoint(certs) -> None:
    hsts = "max-age=31536000; includeSubDomains"
    with https_server(*certs["good"], {"Strict-Transport-Security": hsts}) as port:
        seen = scan("127.0.0.1", port, "localhost")
    assert (seen.http, seen.hsts) == (True, hsts)
    # s_server -www answers GET only: seen as HTTP without HSTS, without waiting for a timeout
    with openssl_server(*certs["good"], *GOOD, "-www") as port:
        started = dt.datetime.now()
        seen = scan("127.0.0.1", port, "localhost")
    assert (seen.http, seen.hsts) == (True, None)
    assert dt.datetime.now() - started < dt.timedelta(seconds=4)


def test_a_legacy_endpoint_fails_with_the_reasons(certs) -> None:
    with openssl_server(*certs["weak"], *LEGACY) as port:
        data = report(scan("127.0.0.1", port, "localhost"), language="en")
    assert data["protocols"]["TLSv1.0"] and data["protocols"]["TLSv1.1"]
    got = statuses(data)
    assert got["art-34-1"] == got["art-34-2"] == got["art-34-3"] == got["art-36-2"] == "fail"
    evidence = {f["requirement"]: f["evidence"] for f in data["findings"]}
    assert "TLSv1.0" in evidence["art-34-1"] and "other than ECDHE" in evidence["art-34-1"]
    assert "RSA 1024" in evidence["art-34-1"]
    assert "SHA-256" in evidence["art-34-2"]
    assert "sha1WithRSAEncryption" in evidence["art-34-3"]
    assert "anonymous" in evidence["art-36-2"]


def test_an_expired_certificate_for_another_name_fails_source_authentication(certs) -> None:
    with openssl_server(*certs["expired"], *GOOD) as port:
        data = report(scan("127.0.0.1", port, "trade.example.com"), language="en")
    assert data["certificate"]["expired"] is True
    assert data["certificate"]["hostname_matches"] is False
    evidence = next(f for f in data["findings"] if f["requirement"] == "art-34-3")
    assert evidence["status"] == "fail"
    assert "not valid now" in evidence["evidence"] and "trade.example.com" in evidence["evidence"]


def test_the_hybrid_post_quantum_group_is_seen(certs) -> None:
    with hybrid_server(*certs["good"]) as port:
        data = report(scan("127.0.0.1", port, "localhost"), language="en")
    assert data["protocols"] == {
        "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": False, "TLSv1.3": True,
    }  # fmt: skip
    assert "X25519MLKEM768" in data["groups"] and data["post_quantum_hybrid"] is True
    assert "SecP384r1MLKEM1024" not in data["groups"] and "ffdhe2048" not in data["groups"]


def test_an_unreachable_endpoint_fails_without_a_traceback() -> None:
    from .tls_servers import free_port

    data = report(scan("127.0.0.1", free_port(), timeout=1), language="en")
    assert data["reachable"] is False and data["error"]
    assert statuses(data)["art-34-1"] == "fail"


def test_the_command_line_contract(capsys, certs, tmp_path: Path) -> None:
    with openssl_server(*certs["ec"], *GOOD) as port:
        code, out, err = run(
            capsys, "check", "tls", f"127.0.0.1:{port}", "--sni", "localhost", "--format", "json"
        )
        assert code == 0, err
        data = json.loads(out)
        assert {"target", "protocols", "cipher_suites", "groups", "certificate", "findings"} <= set(
            data
        )
        assert data["target"] == f"127.0.0.1:{port}" and data["certificate"]["key_type"] == "EC"
        for finding in data["findings"]:
            assert set(finding) == {"framework", "requirement", "status", "evidence"}
            assert finding["status"] in {"pass", "fail", "needs_evidence"}
        targets = tmp_path / "targets.txt"
        targets.write_text(f"# gateways\n127.0.0.1:{port} localhost\n127.0.0.1:{port}\n")
        code, out, err = run(capsys, "check", "tls", "--file", str(targets), "--format", "json")
        assert code == 0, err
        many = json.loads(out)
        assert [r["sni"] for r in many] == ["localhost", "127.0.0.1"]
        code, out, _ = run(capsys, "check", "tls", f"127.0.0.1:{port}", "--sni", "localhost")
        assert code == 0 and "art-34-1" in out and "通過" in out
    code, _, err = run(capsys, "check", "tls", "no-port-here")
    assert code == 1 and "no-port-here" in err


def test_every_judged_requirement_is_in_the_library() -> None:
    guideline = load_library().framework("sfa-emerging-tech-guideline")
    ids = {node.id for node in guideline.requirements}
    seen = Observation(host="h", port=1, server_name="h", reachable=False, error="x")
    for finding in findings(seen):
        assert finding.requirement in ids


def _observation(**changes: Any) -> Observation:
    suite = Suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLSv1.2", "ecdhe", "rsa",
                  "aes-128-gcm", 128, True, None)  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    day = dt.timedelta(days=1)
    cert = Certificate("CN=a", "CN=b", "RSA", 2048, "sha256WithRSAEncryption", "sha256",
                       now - day, now + day, True, False, 2)  # fmt: skip
    seen = Observation(host="a", port=443, server_name="a", reachable=True)
    seen.protocols = {"TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": False}
    seen.suites = {"TLSv1.2": [suite]}
    seen.groups = ["x25519"]
    seen.certificate = cert
    for name, value in changes.items():
        setattr(seen, name, value)
    return seen


@pytest.mark.parametrize(
    ("changes", "requirement", "expected"),
    [
        ({}, "art-34-1", "pass"),
        ({"protocols": {"TLSv1.1": True, "TLSv1.2": True}}, "art-34-1", "fail"),
        ({"groups": ["x25519", "ffdhe2048"], "protocols": {"TLSv1.3": True}}, "art-34-1", "fail"),
        (
            {
                "suites": {
                    "TLSv1.2": [
                        Suite(
                            "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
                            "TLSv1.2",
                            "rsa",
                            "rsa",
                            "3des",
                            112,
                            False,
                            "sha1",
                        )
                    ]
                }
            },
            "art-34-1",
            "fail",
        ),
        (
            {
                "suites": {
                    "TLSv1.2": [
                        Suite(
                            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                            "TLSv1.2",
                            "ecdhe",
                            "rsa",
                            "aes-128-cbc",
                            128,
                            False,
                            "sha256",
                        )
                    ]
                }
            },
            "art-34-2",
            "pass",
        ),
        (
            {
                "suites": {
                    "TLSv1.2": [
                        Suite(
                            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                            "TLSv1.2",
                            "ecdhe",
                            "rsa",
                            "aes-128-cbc",
                            128,
                            False,
                            "sha1",
                        )
                    ]
                }
            },
            "art-34-2",
            "fail",
        ),
        ({"certificate": None}, "art-34-3", "fail"),
    ],
)
def test_the_rules_alone(changes: dict[str, Any], requirement: str, expected: str) -> None:
    got = {f.requirement: f.status for f in findings(_observation(**changes))}
    assert got[requirement] == expected
