"""SSH targets in the checks app: a real SSH server on loopback (paramiko's server side) audited
by ssh-audit through the service, a job on request and a scheduled job; the run keeps the JSON
of ``finres check ssh``, feeds the crypto inventory of the target's system, raises no finding,
no evidence and no proposal; pages in zh-TW and English (ssh-audit's reasons translated); the
API and the form take the protocol (default ports, no server name for SSH)."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from typing import Any

import paramiko
import pytest
from django.test import Client

from finres.web.assessments.models import RequirementResult
from finres.web.checks import services
from finres.web.checks.jobs import RUN_DUE, enqueue_due
from finres.web.checks.models import TlsOutcome, TlsRun, TlsTarget
from finres.web.checks.ssh_view import KINDS, reason_text
from finres.web.crypto.models import CryptoAsset
from finres.web.evidence.models import Evidence
from finres.web.improvements.models import Finding
from finres.web.jobs.models import Job
from finres.web.orgs.models import Organisation
from finres.web.registers.models import InformationSystem

from ..checks.ssh_servers import ssh_server
from ..checks.test_ssh import LEGACY_CIPHERS, LEGACY_KEX, LEGACY_MACS
from ..checks.tls_servers import free_port
from .test_checks import open_assessment
from .test_page_language import CJK, text

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def legacy_key() -> paramiko.RSAKey:
    return paramiko.RSAKey.generate(1024)


def ssh_target(organisation: Organisation, port: int, **fields: Any) -> TlsTarget:
    system = InformationSystem.objects.create(
        organisation=organisation, code=f"SSH-{port}", name=f"Jump host {port}"
    )
    values: dict[str, Any] = {"host": "127.0.0.1", "system": system, "protocol": "ssh"}
    values.update(fields)
    return TlsTarget.objects.create(organisation=organisation, port=port, **values)


def nothing_judged(organisation: Organisation) -> None:
    """No outcome, finding, evidence or proposal: no guideline article judges SSH."""
    assert not TlsOutcome.objects.filter(organisation=organisation).exists()
    assert not Finding.objects.filter(organisation=organisation).exists()
    assert not Evidence.objects.filter(organisation=organisation).exists()
    assert (
        not RequirementResult.objects.filter(organisation=organisation)
        .exclude(proposal_state="")
        .exists()
    )


def test_an_ssh_target_is_audited_through_the_service_and_fills_the_inventory(org) -> None:
    open_assessment(org)
    with ssh_server() as port:
        found = ssh_target(org, port)
        (run,) = services.run_targets(org, [found], lang="en")
    assert (run.protocol, run.status, run.error) == ("ssh", "ok", "")
    assert run.result["target"] == f"127.0.0.1:{port}" and run.result["post_quantum_hybrid"]
    assert {"algorithm": "mlkem768x25519-sha256", "post_quantum": True} in run.result["kex"]
    assert (run.passed, run.failed, run.needs_evidence) == (0, 0, 0)
    assert run.not_recommended == len(run.result["not_recommended"]) > 0
    nothing_judged(org)
    assets = CryptoAsset.objects.filter(organisation=org, system=found.system)
    names = set(assets.values_list("name", flat=True))
    assert {"mlkem768x25519-sha256", "rsa-sha2-512", "aes256-gcm@openssh.com"} <= names
    assert {"hmac-sha2-256"} <= names and set(assets.values_list("source", flat=True)) == {"ssh"}
    assert assets.get(name="mlkem768x25519-sha256").exposure == "quantum_safe"
    assert "Crypto inventory" in run.crypto_note
    # a second run changes nothing in the inventory and still raises nothing
    with ssh_server() as port:
        found.port = port
        found.save()
        (again,) = services.run_targets(org, [found], lang="en")
    assert again.status == "ok"
    nothing_judged(org)


def test_an_unreachable_ssh_server_is_a_clear_error_and_nothing_else(org) -> None:
    found = ssh_target(org, free_port())
    (run,) = services.run_targets(org, [found], lang="en")
    assert run.protocol == "ssh" and run.status == "error"
    assert run.error.startswith("The endpoint could not be reached:")
    assert "refused" in run.error.lower()
    assert not CryptoAsset.objects.filter(organisation=org).exists()
    nothing_judged(org)


def test_tls_and_ssh_targets_share_one_batch_one_scan_at_a_time_per_host(
    org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bounded concurrency and per-host limit as the TLS batch, across protocols."""
    busy: Counter[str] = Counter()
    most: Counter[str] = Counter()
    guard = threading.Lock()
    seen: list[tuple[str, str, int]] = []

    def hold(kind: str, host: str, port: int) -> None:
        with guard:
            busy[host] += 1
            most[host] = max(most[host], busy[host])
            seen.append((kind, host, port))
        time.sleep(0.05)
        with guard:
            busy[host] -= 1

    def fake_ssh(host: str, port: int, timeout: float) -> dict[str, Any]:
        hold("ssh", host, port)
        return {"target": f"{host}:{port}", "reachable": False, "error": "closed"}

    def fake_tls(host: str, port: int, sni: str | None) -> Any:
        hold("tls", host, port)
        return None

    def fake_report(found: Any, language: str) -> dict[str, Any]:
        return {"target": "x", "reachable": False, "error": "closed", "findings": []}

    monkeypatch.setattr(services.ssh_check, "scan", fake_ssh)
    monkeypatch.setattr(services.tls_check, "scan", fake_tls)
    monkeypatch.setattr(services, "tls_report", fake_report)
    targets = [
        TlsTarget.objects.create(organisation=org, host=host, port=port, protocol=protocol)
        for host, port, protocol in [
            ("a.example", 443, "tls"),
            ("a.example", 22, "ssh"),
            ("b.example", 22, "ssh"),
            ("a.example", 8443, "tls"),
            ("c.example", 443, "tls"),
        ]
    ]
    progress: list[int] = []
    runs = services.run_targets(
        org, targets, progress=lambda done, total, _n: progress.append(done)
    )
    assert [r.target_id for r in runs] == [t.pk for t in targets]  # in the targets' order
    assert [r.protocol for r in runs] == ["tls", "ssh", "ssh", "tls", "tls"]
    assert sorted((k, p) for k, _h, p in seen) == sorted(
        [("tls", 443), ("ssh", 22), ("ssh", 22), ("tls", 8443), ("tls", 443)]
    )
    assert max(most.values()) == services.PER_HOST == 1  # never two scans of one host at once
    assert progress == [0, 1, 2, 3, 4, 5]


def test_check_now_on_the_page_runs_the_job_and_opens_the_ssh_run(ciso_client: Client, org) -> None:
    with ssh_server() as port:
        found = ssh_target(org, port)
        response = ciso_client.post(f"/checks/targets/{found.pk}/run/")
    run = TlsRun.objects.get(target=found)
    assert response.status_code == 302 and response["Location"] == f"/checks/runs/{run.pk}/"
    assert run.job is not None and run.job.state == Job.State.SUCCEEDED
    assert run.job.kind == "checks.run_targets" and run.job.progress_done == 1
    assert run.job.result_data["failed"] == 0 and run.protocol == "ssh" and run.status == "ok"
    nothing_judged(org)


def test_a_scheduled_ssh_target_is_due_and_checked_by_the_scheduled_job(org) -> None:
    with ssh_server() as port:
        found = ssh_target(org, port, schedule_days=7)
        assert list(services.due_targets()) == [found]
        (job,) = enqueue_due()
    assert job.kind == RUN_DUE and job.state == Job.State.SUCCEEDED
    run = TlsRun.objects.get(target=found)
    assert run.protocol == "ssh" and run.status == "ok" and run.job_id == job.pk
    assert CryptoAsset.objects.filter(organisation=org, system=found.system).exists()
    assert list(services.due_targets()) == []  # ran just now


def test_the_run_page_shows_what_the_server_offers_in_chinese_then_english(
    ciso_client: Client, org, legacy_key: paramiko.RSAKey
) -> None:
    with ssh_server(
        legacy_key, ["mlkem768x25519-sha256", *LEGACY_KEX], LEGACY_CIPHERS, LEGACY_MACS
    ) as port:
        found = ssh_target(org, port)
        (run,) = services.run_targets(org, [found])
    flagged = {item["algorithm"] for item in run.result["not_recommended"]}
    assert {"ecdh-sha2-nistp256", "3des-cbc", "hmac-md5", "rsa-sha2-512"} <= flagged
    page = ciso_client.get(f"/checks/runs/{run.pk}/").content.decode()
    shown = text(page)
    assert f"127.0.0.1:{port} 之 SSH 檢測" in shown
    assert "mlkem768x25519-sha256 · 混合式後量子" in shown
    assert "主機金鑰" in shown and "rsa-sha2-512 1024" in shown  # the host key with its size
    assert "3des-cbc · 不建議使用" in shown and "hmac-md5 · 不建議使用" in shown
    # ssh-audit's reasons, in Chinese
    assert "使用已遭破解且已淘汰的 3DES 加密演算法" in shown
    assert "使用已遭破解的 MD5 雜湊演算法" in shown and "使用過小的 1024 位元模數" in shown
    assert "使用疑遭美國國家安全局植入後門的橢圓曲線" in shown
    assert "訊息鑑別碼" in shown and "金鑰交換" in shown
    assert "要求事項" not in shown and "art-34" not in page  # no guideline items for SSH
    assert "伺服器名稱（SNI）" not in shown
    # no English left: what remains in Latin letters is the server's own names
    names = {item["algorithm"] for item in run.result["kex"] + run.result["host_keys"]}
    names |= set(run.result["ciphers"] + run.result["macs"])
    names |= {run.result["banner"], run.result["audited_by"], "ssh-audit", "TLS", "SSH"}
    names |= {str(found.system), found.system.name}  # the user's own data
    main = text(page.split("<main", 1)[1].split("</main>", 1)[0]) if "<main" in page else shown
    for name in sorted(names, key=len, reverse=True):
        main = main.replace(name, " ")
    left = set(re.findall(r"[A-Za-z]{2,}", main)) - {
        "DES",
        "MD",
        "SHA",
    }  # 3DES, MD5, SHA-1 in the reasons
    assert not left, left
    ciso_client.cookies["django_language"] = "en"
    english = text(ciso_client.get(f"/checks/runs/{run.pk}/").content.decode())
    assert f"SSH check of 127.0.0.1:{port}" in english
    assert "using broken & deprecated 3DES cipher" in english
    assert "using small 1024-bit modulus" in english and "hybrid post-quantum" in english
    assert "加密清冊" in run.crypto_note and "Crypto inventory" in english  # run in zh-TW
    english = english.replace("繁體中文", "")  # the language switch
    assert not CJK.search(english), CJK.findall(english)


def test_the_list_and_target_pages_show_ssh_targets(
    ciso_client: Client, org, legacy_key: paramiko.RSAKey
) -> None:
    with ssh_server(legacy_key, LEGACY_KEX, LEGACY_CIPHERS, LEGACY_MACS) as port:
        found = ssh_target(org, port, schedule_days=7)
        (run,) = services.run_targets(org, [found], lang="en")
    TlsTarget.objects.create(organisation=org, host="trade.example.com.tw", port=443)
    listing = ciso_client.get("/checks/").content.decode()
    assert f'data-not-recommended="{run.not_recommended}"' in listing
    assert 'data-protocol="ssh"' in listing and 'data-protocol="tls"' in listing
    assert "TLS 與 SSH 檢測" in listing and "不建議使用" in listing
    detail = ciso_client.get(f"/checks/targets/{found.pk}/").content.decode()
    assert "混合式後量子金鑰交換" in detail and f"/checks/runs/{run.pk}/" in detail
    assert "伺服器名稱（SNI）" not in detail and "通過" not in text(detail)
    assert services.dashboard_numbers(org) == {
        "targets": 2,
        "failing_targets": 0,
        "needs_evidence": 0,
        "unscheduled_internet_facing": 0,
    }
    ciso_client.cookies["django_language"] = "en"
    for url in ("/checks/", f"/checks/targets/{found.pk}/"):
        shown = text(ciso_client.get(url).content.decode()).replace("繁體中文", "")
        assert not CJK.search(shown), (url, CJK.findall(shown))
        assert "SSH" in shown


def test_every_reason_ssh_audit_can_give_is_translated() -> None:
    from django.utils import translation
    from ssh_audit.ssh2_kexdb import SSH2_KexDB

    reasons = {
        reason
        for algorithms in SSH2_KexDB.get_db().values()
        for description in algorithms.values()
        if len(description) >= 2
        for reason in description[1]
    }
    reasons |= {
        "using small 2048-bit hostkey modulus",
        "using small 1024-bit CA key modulus",
        "CA key uses elliptic curves that are suspected as being backdoored by the U.S. "
        "National Security Agency",
    }
    with translation.override("zh-hant"):
        for reason in sorted(reasons):
            shown = reason_text(reason)
            assert shown != reason and CJK.search(shown), reason
        assert reason_text("using small 768-bit modulus") == "使用過小的 768 位元模數"
        assert reason_text("something new") == "something new"  # as ssh-audit wrote it
        assert {translation.gettext(label) for label in KINDS.values()} == {
            "金鑰交換",
            "主機金鑰",
            "加密演算法",
            "訊息鑑別碼",
        }


def test_the_form_defaults_the_port_by_protocol_and_refuses_a_server_name_for_ssh(
    ciso_client: Client, org
) -> None:
    body = {"protocol": "ssh", "host": "jump.example.com.tw", "server_name": "x.example"}
    response = ciso_client.post("/checks/targets/new/", body)
    assert response.status_code == 400
    assert "伺服器名稱（SNI）僅用於 TLS：SSH 伺服器請留空。" in response.content.decode()
    assert not TlsTarget.objects.exists()
    response = ciso_client.post("/checks/targets/new/", {**body, "server_name": ""})
    assert response.status_code == 302
    ssh = TlsTarget.objects.get(host="jump.example.com.tw")
    assert (ssh.protocol, ssh.port) == ("ssh", 22)
    response = ciso_client.post("/checks/targets/new/", {"host": "gw.example.com.tw"})
    assert response.status_code == 302
    tls = TlsTarget.objects.get(host="gw.example.com.tw")
    assert (tls.protocol, tls.port) == ("tls", 443)  # no protocol given: TLS, as before
    body = {"protocol": "ssh", "host": "jump2.example.com.tw", "port": "2222"}
    assert ciso_client.post("/checks/targets/new/", body).status_code == 302
    assert TlsTarget.objects.get(host="jump2.example.com.tw").port == 2222
    assert ciso_client.post("/checks/targets/new/", {**body, "protocol": "ftp"}).status_code == 400
    page = ciso_client.get("/checks/targets/new/").content.decode()
    assert "空白時：TLS 為 443，SSH 為 22。" in page and '<option value="ssh">SSH</option>' in page
    ciso_client.cookies["django_language"] = "en"
    response = ciso_client.post(
        "/checks/targets/new/", {"protocol": "ssh", "host": "j.example", "server_name": "j"}
    )
    assert "A server name (SNI) is only used by TLS" in response.content.decode()


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def test_the_api_creates_runs_and_lists_ssh_targets(ciso_client: Client, org) -> None:
    refused = post(
        ciso_client,
        "/api/tls-targets/",
        {"protocol": "ssh", "host": "127.0.0.1", "server_name": "localhost"},
    )
    assert refused.status_code == 400 and "server_name" in refused.json()
    assert (
        post(
            ciso_client, "/api/tls-targets/", {"protocol": "telnet", "host": "a.example"}
        ).status_code
        == 400
    )
    default = post(ciso_client, "/api/tls-targets/", {"protocol": "ssh", "host": "jump.example"})
    assert default.status_code == 201 and default.json()["port"] == 22
    assert post(ciso_client, "/api/tls-targets/", {"host": "gw.example"}).json()["port"] == 443
    with ssh_server() as port:
        created = post(
            ciso_client, "/api/tls-targets/", {"protocol": "ssh", "host": "127.0.0.1", "port": port}
        )
        assert created.status_code == 201 and created.json()["protocol"] == "ssh"
        response = ciso_client.post(f"/api/tls-targets/{created.json()['id']}/run/")
    assert response.status_code == 202
    job = response.json()
    assert job["state"] == Job.State.SUCCEEDED
    run_id = job["result"]["runs"][0]
    listed = ciso_client.get("/api/tls-runs/?protocol=ssh").json()
    assert [r["id"] for r in listed["results"]] == [run_id]
    assert listed["results"][0]["protocol"] == "ssh"
    assert ciso_client.get("/api/tls-runs/?protocol=tls").json()["count"] == 0
    assert ciso_client.get("/api/tls-runs/?protocol=ftp").status_code == 400
    detail = ciso_client.get(f"/api/tls-runs/{run_id}/").json()
    assert detail["status"] == "ok" and detail["outcomes"] == []
    assert detail["result"]["post_quantum_hybrid"] is True
    assert detail["not_recommended"] == len(detail["result"]["not_recommended"])
    # changing a TLS target with a server name into an SSH one needs the name removed
    tls = post(
        ciso_client, "/api/tls-targets/", {"host": "web.example", "server_name": "w.example"}
    )
    url = f"/api/tls-targets/{tls.json()['id']}/"
    patch = ciso_client.patch(url, {"protocol": "ssh"}, content_type="application/json")
    assert patch.status_code == 400 and "server_name" in patch.json()
    patch = ciso_client.patch(
        url, {"protocol": "ssh", "server_name": ""}, content_type="application/json"
    )
    assert patch.status_code == 200 and patch.json()["protocol"] == "ssh"
