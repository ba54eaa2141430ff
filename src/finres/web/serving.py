"""Serving the web application: the port check, static files, the proxy, the server.

Two servers: waitress (one process, threads) for the embedded default on SQLite, and gunicorn
(several worker processes, one request at a time each) for production on PostgreSQL, where one
process would hold the whole site to one CPU core. With gunicorn the application is loaded once, in
the master, before the workers are forked (``preload_app``): the library, the templates, the
PDF and chart fonts are read once and shared, and a new worker's first request is quick.

Static files are collected (and compressed) once, by ``finres setup`` or by the first
``finres serve``; later starts compare a fingerprint of the source files with the one written
beside the collected files and skip the work when nothing changed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

STAMP_NAME = ".finres-static-fingerprint"
# What a TLS proxy in front of FinRes sets; waitress applies them only for the trusted address.
PROXY_HEADERS = frozenset({"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"})


class PortInUseError(OSError):
    """The address and port to serve on are taken (or cannot be used)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"{host}:{port}: {reason}")
        self.host = host
        self.port = port
        self.reason = reason


def check_port(host: str, port: int) -> None:
    """Fail early, before any other work, when ``host:port`` cannot be listened on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise PortInUseError(host, port, str(error.strerror or error)) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # As waitress does: a closed connection still in TIME_WAIT does not block the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            reason = "in use" if error.errno == errno.EADDRINUSE else (error.strerror or "")
            raise PortInUseError(host, port, reason) from None


def static_fingerprint() -> str:
    """A hash of every static source file (name, size, modification time) and the storage."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    digest.update(str(settings.STORAGES["staticfiles"]["BACKEND"]).encode())
    entries = []
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _stamp() -> Path:
    from django.conf import settings

    return Path(settings.STATIC_ROOT) / STAMP_NAME


def static_is_current() -> bool:
    stamp = _stamp()
    try:
        return stamp.read_text(encoding="ascii").strip() == static_fingerprint()
    except OSError:
        return False


def collect_static(force: bool = False) -> bool:
    """Collect and compress static files unless they are current; True if work was done."""
    from django.core.management import call_command

    fingerprint = static_fingerprint()
    stamp = _stamp()
    if not force and stamp.is_file() and stamp.read_text(encoding="ascii").strip() == fingerprint:
        return False
    stamp.unlink(missing_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint + "\n", encoding="ascii")
    return True


def serve(
    application: Callable[..., Any],
    host: str,
    port: int,
    trusted_proxy: str | None = None,
    threads: int = 8,
) -> None:
    """Serve with waitress. Behind a TLS proxy, ``trusted_proxy`` is its address: waitress
    then takes the client's address and the scheme from its X-Forwarded-* headers (and drops
    those headers from anyone else)."""
    from waitress import serve as waitress_serve

    options: dict[str, Any] = {"threads": threads, "_quiet": True}
    if trusted_proxy:
        options.update(
            trusted_proxy=trusted_proxy,
            trusted_proxy_count=1,
            trusted_proxy_headers=set(PROXY_HEADERS),
            clear_untrusted_proxy_headers=True,
        )
    waitress_serve(application, host=host, port=port, **options)


# --- several processes: gunicorn ----------------------------------------------------------------

# One request at a time per process. Python runs one thread of a process at a time: threads
# sharing a process waited for each other between their database calls (under the 50-person
# load on two cores, 2 processes of 4 threads answered in 300 ms at the median and 1.1 s at the
# 95th percentile; 5 processes of 1 thread, in 93 ms and 570 ms).
THREADS_PER_WORKER = 1


def default_workers(vendor: str, cpus: int | None = None) -> int:
    """Worker processes when none are asked for: one on SQLite (one writer at a time anyway,
    and the embedded default stays one simple process); otherwise two per core plus one
    (gunicorn's advice for workers that serve one request at a time), so that while some wait
    on the database the others keep the cores busy."""
    if vendor == "sqlite":
        return 1
    return 2 * (cpus or os.cpu_count() or 1) + 1


class ProxyHeaders:
    """What waitress's ``trusted_proxy`` does, for gunicorn: from the trusted proxy's address,
    the client's address comes from the last X-Forwarded-For entry and the host from
    X-Forwarded-Host (the scheme is gunicorn's ``forwarded_allow_ips``); from anyone else these
    headers are dropped, so that no client can claim HTTPS or another address."""

    HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")

    def __init__(self, application: Callable[..., Any], trusted_proxy: str | None) -> None:
        self.application = application
        self.trusted = trusted_proxy

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.trusted and environ.get("REMOTE_ADDR") == self.trusted:
            forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
            client = forwarded.split(",")[-1].strip()
            if client:
                environ["REMOTE_ADDR"] = client
            host = environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[-1].strip()
            if host:
                environ["HTTP_HOST"] = host
        else:
            for name in self.HEADERS:
                environ.pop(name, None)
        return self.application(environ, start_response)


def gunicorn_options(
    host: str, port: int, workers: int, threads: int, trusted_proxy: str | None
) -> dict[str, Any]:
    """The gunicorn settings ``serve_workers`` uses (a function, so that tests can read them)."""
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "preload_app": True,
        # Only the TLS proxy may set the scheme; by default gunicorn trusts 127.0.0.1.
        "forwarded_allow_ips": trusted_proxy or "",
        "proxy_allow_ips": trusted_proxy or "",
        "secure_scheme_headers": {"X-FORWARDED-PROTO": "https"},
        # Quiet, like waitress here: no access log, warnings and errors only.
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        # A PDF or an export can take some seconds; a stuck request still ends.
        "timeout": 120,
        "graceful_timeout": 30,
        # Idle connections kept longer than a person's pause between two requests: a client
        # sending on a connection just as the server closes it gets "connection reset".
        "keepalive": 15,
        # Recycle workers now and then (memory of large exports is given back).
        "max_requests": 5000,
        "max_requests_jitter": 500,
        "post_fork": _post_fork,
    }


def _post_fork(server: Any, worker: Any) -> None:
    # Database connections opened by the master (migrations, warm-up) are not shared.
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.inc_thread_sharing()
        connection.close()
        connection.dec_thread_sharing()


def warm_up() -> None:
    """Load in this process what first requests would otherwise wait for: the library and the
    maturity scales, the PDF and chart fonts. Before the fork, it is shared by every worker."""
    from django.template.loader import get_template
    from django.urls import get_resolver

    from finres.core.library import load_library
    from finres.web.reports import documents, metrics

    # The URLconf imports every view module (most of a first request's wait otherwise).
    get_resolver().url_patterns  # noqa: B018
    for name in ("base.html", "registration/login.html", "reports/dashboard.html"):
        get_template(name)  # compiled once, kept by the cached template loader
    load_library()  # cached per process
    metrics.csf_structure()  # the CSF roll-up's tree, cached per process
    documents.warm_up()


def serve_workers(
    application: Callable[..., Any],
    host: str,
    port: int,
    workers: int,
    threads: int = THREADS_PER_WORKER,
    trusted_proxy: str | None = None,
) -> None:
    """Serve with gunicorn: ``workers`` processes of ``threads`` threads, forked from this one
    after the application is loaded. Stops on SIGTERM or Ctrl+C (graceful, 30 s)."""
    from django.db import connections
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    wrapped = ProxyHeaders(application, trusted_proxy)
    options = gunicorn_options(host, port, workers, threads, trusted_proxy)

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Callable[..., Any]:
            return wrapped

    connections.close_all()  # before the fork: each worker opens its own
    sys.argv = sys.argv[:1]  # gunicorn reads its own options from the command line otherwise
    Server().run()
