"""Serving the web application with waitress: the port check, static files, the proxy.

Static files are collected (and compressed) once, by ``finres setup`` or by the first
``finres serve``; later starts compare a fingerprint of the source files with the one written
beside the collected files and skip the work when nothing changed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
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
