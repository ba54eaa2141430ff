"""A real SSH server on loopback for the SSH check's tests: paramiko's server side, offering
the algorithms a test chooses (a modern default, or a legacy set)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import paramiko


@contextlib.contextmanager
def ssh_server(
    key: Any = None,
    kex: Sequence[str] | None = None,
    ciphers: Sequence[str] | None = None,
    macs: Sequence[str] | None = None,
) -> Iterator[int]:
    """Answers key exchanges (no log-in is possible) until the block ends."""
    host_key = key or paramiko.RSAKey.generate(2048)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()
    # Every transport is closed and joined when the block ends: one left waiting for a banner
    # (ssh-audit's probes) would log paramiko's error into a later test's output.
    transports: list[paramiko.Transport] = []
    workers: list[threading.Thread] = []

    def serve(connection: socket.socket) -> None:
        transport = paramiko.Transport(connection)
        transports.append(transport)
        transport.add_server_key(host_key)
        options = transport.get_security_options()
        if kex:
            options.kex = tuple(kex)
        if ciphers:
            options.ciphers = tuple(ciphers)
        if macs:
            options.digests = tuple(macs)
        with contextlib.suppress(Exception):
            transport.start_server(server=paramiko.ServerInterface())
        transport.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            worker = threading.Thread(target=serve, args=(connection,), daemon=True)
            workers.append(worker)
            worker.start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for transport in transports:
            transport.close()
        for running in [*workers, *transports]:
            if running.is_alive():
                running.join(timeout=5)
