"""The demo securities firm's TLS check targets on loopback, with real check runs.

Two TLS servers are started in this process for a moment (``loopback.py``: one configured as
the guideline asks, one with an expired certificate for another name that also accepts
finite-field groups) and really scanned by the core, so the demo shows art. 34 passes and
failures with their reasons, the findings and evidence they produced, and the crypto assets
they fed. A third target has nothing listening: its run says why it could not be checked.
The scans take about a second and a half; each process scans once and reuses the results.
"""

from __future__ import annotations

from typing import Any

from finres.core.checks.batch import scan_many
from finres.web.checks import loopback
from finres.web.checks.models import TlsTarget
from finres.web.checks.services import record_run
from finres.web.registers.models import InformationSystem

_scanned: dict[str, Any] = {}


def _scan() -> tuple[list[int], list[dict[str, Any]]]:
    if not _scanned:
        with loopback.demo_servers() as (good, weak):
            ports = [good, weak, loopback.CLOSED_PORT]
            results = scan_many(
                [("127.0.0.1", port, "localhost") for port in ports], 3, 3, language="zh-TW"
            )
        _scanned.update(ports=ports, results=results)
    return _scanned["ports"], _scanned["results"]


def load(context: Any) -> None:
    securities = context.organisations.get("securities")
    if securities is None or TlsTarget.objects.filter(organisation=securities).exists():
        return
    systems = {s.code: s for s in InformationSystem.objects.filter(organisation=securities)}
    ports, results = _scan()
    described = (
        (
            "SYS-ETRADE",
            7,
            "示範：本機 TLS 伺服器，依指引設定（python -m finres.web.checks.loopback）",
        ),
        ("SYS-MOBILE", 7, "示範：本機 TLS 伺服器，憑證已過期且非簽發予 localhost，接受有限體群組"),
        ("SYS-TRADE", None, "示範：此連接埠無服務，檢測結果為無法連線"),
    )
    for port, data, (system, days, notes) in zip(ports, results, described, strict=True):
        target = TlsTarget.objects.create(
            organisation=securities,
            system=systems.get(system),
            host="127.0.0.1",
            port=port,
            server_name="localhost",
            schedule_days=days,
            notes=notes,
        )
        record_run(target, data, lang="zh-TW")
