"""What an SSH server offers: key exchanges (the hybrid post-quantum ones included), host keys
with their sizes, ciphers and MACs, as the well-kept ssh-audit reads them.

ssh-audit (MIT) is run as its own process (``python -m ssh_audit -j``) from the same
environment: its command line and JSON are what it keeps stable, its internals are not. Its
verdicts ("fail": algorithms it considers broken or not recommended) are kept with its own
words as the reason. The result feeds the crypto inventory (blueprint measure 17-2 names SSH
among the network protocols to inventory); no guideline article judges SSH, so no pass or fail
against the library is claimed here.

``report`` gives the JSON contract of ``finres check ssh --format json`` (docs/checks.md).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version
from typing import Any

# Key exchanges that stay safe if a quantum computer breaks the classical part: hybrids with
# ML-KEM or Streamlined NTRU Prime (OpenSSH 9.0 and 9.9 defaults).
POST_QUANTUM_KEX = re.compile(r"^(mlkem\d+|sntrup\d+)", re.IGNORECASE)
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
# Names in the key-exchange list that signal protocol extensions, not algorithms.
_MARKERS = re.compile(r"^(kex-strict-|ext-info-)")


def _algorithms(items: Any) -> list[dict[str, Any]]:
    return [item for item in items or [] if isinstance(item, dict) and item.get("algorithm")]


def _failures(audit: dict[str, Any]) -> list[dict[str, str]]:
    found = []
    for kind in ("kex", "key", "enc", "mac"):
        for item in _algorithms(audit.get(kind)):
            for reason in (item.get("notes") or {}).get("fail") or []:
                found.append({"kind": kind, "algorithm": item["algorithm"], "reason": reason})
    return found


def report(host: str, port: int, audit: dict[str, Any] | None, error: str | None) -> dict[str, Any]:
    """The contract from ssh-audit's JSON (or the error that prevented it)."""
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if audit is None:
        return {
            "target": target,
            "reachable": False,
            "error": error or "no answer",
            "banner": None,
            "kex": [],
            "post_quantum_hybrid": False,
            "host_keys": [],
            "ciphers": [],
            "macs": [],
            "not_recommended": [],
            "audited_by": f"ssh-audit {version('ssh-audit')}",
        }
    kex = [
        {"algorithm": k["algorithm"], "post_quantum": bool(POST_QUANTUM_KEX.match(k["algorithm"]))}
        for k in _algorithms(audit.get("kex"))
        if not _MARKERS.match(k["algorithm"])
    ]
    return {
        "target": target,
        "reachable": True,
        "error": None,
        "banner": (audit.get("banner") or {}).get("raw"),
        "kex": kex,
        "post_quantum_hybrid": any(k["post_quantum"] for k in kex),
        "host_keys": [
            {"algorithm": k["algorithm"], "key_size": k.get("keysize")}
            for k in _algorithms(audit.get("key"))
        ],
        "ciphers": [e["algorithm"] for e in _algorithms(audit.get("enc"))],
        "macs": [m["algorithm"] for m in _algorithms(audit.get("mac"))],
        "not_recommended": _failures(audit),
        "audited_by": f"ssh-audit {version('ssh-audit')}",
    }


def scan(host: str, port: int = 22, timeout: float = 5.0) -> dict[str, Any]:
    """Audit one SSH server; connection problems are reported in ``error``, never raised."""
    command = [sys.executable, "-m", "ssh_audit", "-j", "-n", "-t", str(max(1, round(timeout)))]
    command += ["-p", str(port), host]
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout * 4 + 10, check=False
        )
    except subprocess.TimeoutExpired:
        return report(host, port, None, "no answer in time")
    try:
        audit = json.loads(completed.stdout)
    except json.JSONDecodeError:
        text = _COLOUR.sub("", completed.stdout + completed.stderr).strip()
        text = (
            text.removeprefix("[exception]").strip()
            or f"ssh-audit ended with {completed.returncode}"
        )
        return report(host, port, None, text.splitlines()[0][:300])
    if not isinstance(audit, dict):
        return report(host, port, None, "ssh-audit gave no result")
    return report(host, port, audit, None)
