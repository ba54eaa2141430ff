"""The authorised log-in probe (art. 36-5) against a real staging log-in page on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from finres.core.checks.login import LoginProbeError, findings, login_form, probe

from ..cli.test_cli import run, run_json
from .login_server import login_server

PASSWORD = "Correct-Horse-7"


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {f["requirement"]: f["status"] for f in findings(result, "en")}


@pytest.mark.parametrize(
    "lock_after,locked,expected",
    [(5, True, "pass"), (3, True, "pass"), (None, False, "fail"), (6, False, "fail")],
)
def test_the_account_locks_at_five_failures_or_the_item_fails(
    lock_after: int | None, locked: bool, expected: str
) -> None:
    with login_server(PASSWORD, lock_after) as url:
        result = probe(url, "tester", PASSWORD, pause=0)
    assert result["logged_in_before"] is True and result["locked_after_failures"] is locked
    assert statuses(result) == {"art-36-5": expected, "art-36-6": "needs_evidence"}


def test_without_a_working_password_nothing_is_decided() -> None:
    with login_server(PASSWORD, 5) as url:
        result = probe(url, "tester", "not-it", pause=0)
    assert result["logged_in_before"] is False and result["locked_after_failures"] is None
    assert statuses(result)["art-36-5"] == "needs_evidence"


def test_a_page_without_a_log_in_form_is_an_error() -> None:
    assert login_form("<form><input name='q'></form>") is None
    with pytest.raises(LoginProbeError, match=r"refused|Connection"):
        probe("http://127.0.0.1:9/login", "tester", PASSWORD, pause=0, timeout=2)


def test_the_command_line_needs_an_explicit_authorisation(capsys, monkeypatch) -> None:
    monkeypatch.setenv("FINRES_PROBE_PASSWORD", PASSWORD)
    with login_server(PASSWORD, 5) as url:
        code, _, error = run(capsys, "check", "login", url, "--username", "tester")
        assert code != 0 and "--i-am-authorised" in error
        data = run_json(
            capsys, "check", "login", url, "--username", "tester", "--i-am-authorised",
            "--format", "json",
        )  # fmt: skip
    assert data["locked_after_failures"] is True
    assert [f["status"] for f in data["findings"]] == ["pass", "needs_evidence"]
    monkeypatch.delenv("FINRES_PROBE_PASSWORD")
    code, _, error = run(capsys, "check", "login", url, "--username", "x", "--i-am-authorised")
    assert code != 0 and "FINRES_PROBE_PASSWORD" in error
