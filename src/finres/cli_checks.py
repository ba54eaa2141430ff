"""``finres check tls``: what a TLS endpoint offers, judged against art. 34 and 36; ``finres
check ssh``: what an SSH server offers, for the crypto inventory (over finres.core.checks).
``--format json`` is a stable contract (docs/checks.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Table

from finres import cli as base
from finres.core.checks import login, ssh
from finres.core.checks.batch import scan_many

check_app = typer.Typer(help="Automated technical checks.", no_args_is_help=True)


def parse_target(text: str) -> tuple[str, int]:
    """``host:port`` or ``[v6 address]:port``; ValueError with the reason otherwise."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    else:
        host, _, port_text = text.rpartition(":")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(text)
    return host, int(port_text)


def _targets_from(path: Path) -> list[tuple[str, int, str | None]]:
    _ = base._
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise base.UserError(f"{path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise base.UserError(_("{path}: not UTF-8 text").format(path=path)) from None
    targets = []
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        try:
            host, port = parse_target(parts[0])
        except ValueError:
            raise base.UserError(
                _("{path}, line {line}: {text} is not HOST:PORT").format(
                    path=path, line=number, text=parts[0]
                )
            ) from None
        targets.append((host, port, parts[1] if len(parts) > 1 else None))
    if not targets:
        raise base.UserError(_("{path}: no targets").format(path=path))
    return targets


def _status_label(status: str) -> str:
    _ = base._
    return {"pass": _("pass"), "fail": _("fail"), "needs_evidence": _("needs evidence")}[status]


def _print_report(data: dict[str, Any]) -> None:
    _ = base._
    out = base._out()
    out.print(f"[bold]{data['target']}[/bold] (SNI {data['sni']})")
    if not data["reachable"] or data["error"]:
        out.print(_("Not reachable over TLS: {error}").format(error=data["error"]))
    protocols = ", ".join(p for p, ok in data["protocols"].items() if ok) or "—"
    out.print(_("Protocols: {list}").format(list=protocols))
    out.print(_("Groups: {list}").format(list=", ".join(data["groups"]) or "—"))
    if data["post_quantum_hybrid"]:
        out.print(_("Offers a hybrid post-quantum key exchange."))
    cert = data["certificate"]
    if cert:
        out.print(
            _("Certificate: {key} {bits} bits, {algorithm}, until {until}").format(
                key=cert["key_type"],
                bits=cert["key_size"],
                algorithm=cert["signature_algorithm"],
                until=cert["not_after"][:10],
            )
        )
    table = Table(title_justify="left")
    table.add_column(_("Requirement"), no_wrap=True)
    table.add_column(_("Result"), no_wrap=True)
    table.add_column(_("Evidence"), overflow="fold")
    for finding in data["findings"]:
        table.add_row(finding["requirement"], _status_label(finding["status"]), finding["evidence"])
    out.print(table)


@check_app.command("tls")
def tls_command(
    target: Annotated[str | None, typer.Argument(help="HOST:PORT of the endpoint.")] = None,
    sni: Annotated[
        str | None, typer.Option("--sni", help="Server name to send (default: the host).")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="A file of targets, one HOST:PORT [SNI] a line.", dir_okay=False
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Endpoints scanned at once.")
    ] = 16,
    per_host: Annotated[
        int, typer.Option("--per-host", min=1, max=8, help="Scans at once on one host.")
    ] = 1,
    output: base.FormatOption = base.OutputFormat.TABLE,
    lang: base.LangOption = None,
) -> None:
    """Check the TLS of an e-trading endpoint (protocols, suites, groups incl. hybrid
    post-quantum, certificate, HSTS) against art. 34 and 36 of the guideline."""
    base._start(lang)
    _ = base._
    if (target is None) == (file is None):
        raise base.UserError(_("name one HOST:PORT or --file TARGETS"))
    if file is not None:
        targets = _targets_from(file)
    else:
        try:
            host, port = parse_target(str(target))
        except ValueError:
            raise base.UserError(_("{text} is not HOST:PORT").format(text=target)) from None
        targets = [(host, port, sni)]
    if len(targets) == 1:
        results = scan_many(targets, 1, 1, language=base._state.language)
    else:
        with Progress(transient=True, disable=output == base.OutputFormat.JSON) as progress:
            task = progress.add_task(_("Checking"), total=len(targets))
            results = scan_many(targets, concurrency, per_host, lambda: progress.advance(task))
    if output == base.OutputFormat.JSON:
        base._print_json(results[0] if file is None else results)
        return
    for data in results:
        _print_report(data)


def _print_ssh(data: dict[str, Any]) -> None:
    _ = base._
    out = base._out()
    out.print(f"[bold]{data['target']}[/bold] {data['banner'] or ''}")
    if not data["reachable"]:
        out.print(_("Not reachable over SSH: {error}").format(error=data["error"]))
        return
    if data["post_quantum_hybrid"]:
        out.print(_("Offers a hybrid post-quantum key exchange."))
    table = Table(title_justify="left")
    table.add_column(_("Kind"), no_wrap=True)
    table.add_column(_("Algorithms"), overflow="fold")
    keys = [f"{k['algorithm']} ({k['key_size']})" if k["key_size"] else k["algorithm"]
            for k in data["host_keys"]]  # fmt: skip
    table.add_row(_("Key exchange"), ", ".join(k["algorithm"] for k in data["kex"]) or "—")
    table.add_row(_("Host keys"), ", ".join(keys) or "—")
    table.add_row(_("Ciphers"), ", ".join(data["ciphers"]) or "—")
    table.add_row(_("MACs"), ", ".join(data["macs"]) or "—")
    weak = sorted({item["algorithm"] for item in data["not_recommended"]})
    table.add_row(_("Not recommended by ssh-audit"), ", ".join(weak) or "—")
    out.print(table)


@check_app.command("ssh")
def ssh_command(
    target: Annotated[str, typer.Argument(help="HOST:PORT of the SSH server.")],
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, max=60, help="Seconds to wait for answers.")
    ] = 5.0,
    output: base.FormatOption = base.OutputFormat.TABLE,
    lang: base.LangOption = None,
) -> None:
    """Audit an SSH server's key exchanges (incl. hybrid post-quantum), host keys, ciphers and
    MACs with ssh-audit, for the crypto inventory (blueprint measure 17-2)."""
    base._start(lang)
    _ = base._
    try:
        host, port = parse_target(target)
    except ValueError:
        raise base.UserError(_("{text} is not HOST:PORT").format(text=target)) from None
    data = ssh.scan(host, port, timeout)
    if output == base.OutputFormat.JSON:
        base._print_json(data)
        return
    _print_ssh(data)


@check_app.command("login")
def login_command(
    url: Annotated[str, typer.Argument(help="The log-in page of a staging endpoint.")],
    username: Annotated[str, typer.Option("--username", help="The test account.")],
    authorised: Annotated[
        bool,
        typer.Option(
            "--i-am-authorised",
            help="Confirm the endpoint's owner authorised this probe: it locks the account.",
        ),
    ] = False,
    password_env: Annotated[
        str,
        typer.Option("--password-env", help="Environment variable holding the password."),
    ] = "FINRES_PROBE_PASSWORD",
    success_text: Annotated[
        str, typer.Option("--success-text", help="Text only a logged-in page shows.")
    ] = "",
    output: base.FormatOption = base.OutputFormat.TABLE,
    lang: base.LangOption = None,
) -> None:
    """Probe art. 36-5 on a test account: does it lock after 5 wrong passwords? Off unless
    --i-am-authorised; the account stays locked (docs/checks.md)."""
    base._start(lang)
    _ = base._
    if not authorised:
        raise base.UserError(
            _(
                "This probe locks the test account: run it only on a staging endpoint whose "
                "owner authorised it, and say so with --i-am-authorised"
            )
        )
    password = os.environ.get(password_env, "")
    if not password:
        raise base.UserError(
            _("Put the test account's password in {variable}").format(variable=password_env)
        )
    try:
        result = login.probe(url, username, password, success_text=success_text)
    except login.LoginProbeError as error:
        raise base.UserError(str(error)) from None
    data = {**result, "findings": login.findings(result, base._state.language)}
    if output == base.OutputFormat.JSON:
        base._print_json(data)
        return
    table = Table(title=url, title_justify="left")
    table.add_column(_("Requirement"), no_wrap=True)
    table.add_column(_("Result"), no_wrap=True)
    table.add_column(_("Evidence"), overflow="fold")
    for finding in data["findings"]:
        table.add_row(finding["requirement"], _status_label(finding["status"]), finding["evidence"])
    base._out().print(table)


@check_app.command("run-due")
def run_due_command(
    now: Annotated[
        bool, typer.Option("--now", help="Run the checks in this process instead of a worker.")
    ] = False,
    lang: base.LangOption = None,
) -> None:
    """Start the scheduled TLS checks of the web platform that are due (one background job per
    organisation); for cron or a systemd timer (docs/checks-web.md)."""
    base._start(lang)
    base._web()
    from finres.web.checks.jobs import enqueue_due, summary

    base._out().print(summary(enqueue_due(run_now=now)))
