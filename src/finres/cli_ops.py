"""The operator's commands of ``finres``: serve, backup, restore and doctor (the logic is in
finres.web.serving and finres.web.ops).

Imported by ``finres.cli``, whose application these commands join.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated

import typer

from finres.cli import (
    FormatOption,
    LangOption,
    OutputFormat,
    UserError,
    _,
    _out,
    _print_json,
    _print_logins,
    _start,
    _web,
    app,
)

_DEMO_SERVERS = contextlib.ExitStack()  # open for the life of the process


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    with_demo: Annotated[bool, typer.Option("--demo", help="Load the demo first.")] = False,
    trusted_proxy: Annotated[
        str | None,
        typer.Option(
            "--trusted-proxy",
            envvar="FINRES_TRUSTED_PROXY",
            help="Address of the TLS proxy in front: its X-Forwarded-* headers are trusted.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            envvar="FINRES_WORKERS",
            help="Server processes (gunicorn, one request at a time each); default: 1 on "
            "SQLite (waitress), twice the CPU cores + 1 on PostgreSQL.",
        ),
    ] = None,
) -> None:
    """Serve the web application (embedded default: SQLite and local files)."""
    _start(None)
    if workers is not None:  # the settings share the cache between several processes
        os.environ["FINRES_WORKERS"] = str(workers)
    from finres.web.serving import PortInUseError, check_port

    try:
        check_port(host, port)  # before any other work
    except PortInUseError as error:
        raise UserError(
            _("cannot listen on {host}:{port} ({reason}); choose another with --port").format(
                host=host, port=port, reason=error.reason
            )
        ) from None
    web = _web()
    web.migrate()
    web.sync_library()
    if not web.static_is_current():
        _out().print(_("Preparing the static files (once after each install or upgrade)…"))
        web.collect_static()
    if with_demo:
        _print_logins(web.load_demo())
        # The demo's TLS check targets answer while the server runs, so "check now" works;
        # without advisory data of the site's own, SBOMs are matched against the demo's.
        from finres.web.checks import loopback
        from finres.web.sbom.demo import use_shared_advisories

        if use_shared_advisories():
            _out().print(
                _(
                    "Advisory data for the demo: the shared OSV and KEV files "
                    "(FINRES_OSV_PATHS and FINRES_KEV_FILE name your own)"
                )
            )
        good, weak = _DEMO_SERVERS.enter_context(loopback.demo_servers())
        _out().print(
            _("Demo TLS endpoints for the checks: 127.0.0.1:{good} and 127.0.0.1:{weak}").format(
                good=good, weak=weak
            )
        )
    from django.conf import settings

    from finres.web.serving import serve as waitress_serve
    from finres.web.wsgi import application

    if host not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS.append(host)

    # Background jobs: without a broker, a worker process beside the server (docs/jobs.md).
    from finres.cli_jobs import start_embedded_worker

    start_embedded_worker()

    from django.db import connection

    from finres.web import serving

    count = workers or serving.default_workers(connection.vendor)
    serving.warm_up()  # the library, fonts and templates: loaded once, before any fork
    if count > 1:
        _out().print(
            _(
                "FinRes is running at http://{host}:{port}/ with {workers} server processes "
                "(stop with Ctrl+C)"
            ).format(host=host, port=port, workers=count)
        )
        serving.serve_workers(application, host, port, count, trusted_proxy=trusted_proxy)
        return
    _out().print(
        _("FinRes is running at http://{host}:{port}/ (stop with Ctrl+C)").format(
            host=host, port=port
        )
    )
    waitress_serve(application, host=host, port=port, trusted_proxy=trusted_proxy)


def _ops_error(error: Exception) -> UserError:
    from finres.web.ops import OpsError

    if isinstance(error, OpsError):
        return UserError(_(error.message).format(**error.params))
    return UserError(str(error))


@app.command()
def backup(
    destination: Annotated[
        Path, typer.Argument(metavar="FOLDER", help="New folder to write the backup into.")
    ],
    lang: LangOption = None,
) -> None:
    """Back up the database, the evidence files and the key files (safe while serving)."""
    _start(lang)
    _web()
    from finres.web.ops import OpsError
    from finres.web.ops.backup import backup as make_backup

    try:
        report = make_backup(destination)
    except (OpsError, OSError) as error:
        raise _ops_error(error) from None
    console = _out()
    console.print(
        _(
            "Backup written to {path}: {vendor} database, {files} evidence files, keys: {keys}"
        ).format(
            path=report.path,
            vendor=report.vendor,
            files=report.evidence_files,
            keys=", ".join(report.keys) or _("none"),
        )
    )
    for name in report.missing_evidence:
        console.print(
            _("warning: evidence file missing, not in the backup: {name}").format(name=name)
        )
    if report.evidence_storage:
        console.print(
            _(
                "Evidence files are in object storage ({location}): the {count} files the "
                "backup refers to were not copied; back the bucket up with the object "
                "store's own means (versioning or replication)."
            ).format(location=report.evidence_storage, count=report.evidence_in_storage)
        )
    console.print(
        _(
            "Keys given in the environment (FINRES_SECRET_KEY and other FINRES_* variables) "
            "are not in the backup: keep them with the site's configuration."
        )
    )


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(metavar="FOLDER", help="A folder made by backup.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a site that already holds data.")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Restore a backup: all or nothing, after checking every file's SHA-256 (server stopped)."""
    _start(lang)
    web = _web()
    from finres.web.ops import OpsError
    from finres.web.ops.backup import restore as do_restore
    from finres.web.ops.backup import verify

    try:
        verify(source)  # before the migrations touch an empty site's database
        web.migrate()
        report = do_restore(source, force=force)
    except (OpsError, OSError) as error:
        raise _ops_error(error) from None
    _out().print(
        _("Restored: {vendor} database, {files} evidence files, keys: {keys}").format(
            vendor=report.vendor,
            files=report.evidence_files,
            keys=", ".join(report.keys) or _("none"),
        )
    )


@app.command()
def doctor(output: FormatOption = OutputFormat.TABLE, lang: LangOption = None) -> None:
    """Find evidence files without database rows, rows without files, pending migrations."""
    _start(lang)
    _web()
    from finres.web.ops.doctor import MESSAGES, examine
    from finres.web.ops.storage import describe

    findings = examine()
    storage = describe()
    if output == OutputFormat.JSON:
        _print_json(
            {
                "ok": not findings,
                "storage": storage.as_dict(),
                "findings": [f.as_dict() for f in findings],
            }
        )
    else:
        console = _out()
        console.print(_("Evidence storage: {location}").format(location=storage.location))
        for finding in findings:
            console.print(
                _(MESSAGES[finding.kind]).format(subject=finding.subject, detail=finding.detail),
                highlight=False,
            )
        if not findings:
            console.print(_("No problems found."))
    if findings:
        raise UserError(_("{count} problem(s) found").format(count=len(findings)))
