"""TLS servers on loopback for the demo: one configured as the guideline asks, one with a
certificate that has expired and names another host (and that accepts finite-field groups).

Python's own ``ssl`` module serves them in threads of this process (no other program needed),
so the demo's check runs are real scans of real endpoints. ``python -m
finres.web.checks.loopback`` keeps them listening on the demo targets' ports until Ctrl-C, so
that a person can check the demo's endpoints from the pages.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

GOOD_PORT, WEAK_PORT, CLOSED_PORT = 18443, 18444, 18445


@dataclass(frozen=True)
class Config:
    name: str
    dns: str
    days: tuple[int, int]  # validity from/to, relative to today
    strict_groups: bool  # only P-256: no finite-field group
    hsts: bool


GOOD = Config("good", "localhost", (-1, 365), True, True)
WEAK = Config("weak", "legacy.demo.invalid", (-400, -30), False, False)


def _certificate(folder: Path, config: Config) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, config.dns)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=config.days[0]))
        .not_valid_after(now + dt.timedelta(days=config.days[1]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(config.dns)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{config.name}.crt", folder / f"{config.name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _listener(port: int) -> socket.socket:
    """Listen on ``port`` of 127.0.0.1, or on a free port when it is taken."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", port))
    except OSError:
        listener.bind(("127.0.0.1", 0))
    listener.listen(32)
    listener.settimeout(0.2)
    return listener


@contextlib.contextmanager
def serve(config: Config, port: int) -> Iterator[int]:
    """A TLS server of ``config`` on loopback (``port`` if free); yields the port it took."""
    with tempfile.TemporaryDirectory() as folder:
        cert, key = _certificate(Path(folder), config)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
    if config.strict_groups:
        context.set_ecdh_curve("prime256v1")
    listener = _listener(port)
    stop = threading.Event()
    header = b"Strict-Transport-Security: max-age=31536000\r\n" if config.hsts else b""

    def answer(connection: socket.socket) -> None:
        connection.settimeout(5)
        with (
            contextlib.suppress(OSError, ssl.SSLError),
            connection,
            context.wrap_socket(connection, server_side=True) as tls,
        ):
            if tls.recv(4096)[:4] in (b"HEAD", b"GET "):
                tls.sendall(
                    b"HTTP/1.1 200 OK\r\n" + header + b"Content-Length: 0\r\n"
                    b"Connection: close\r\n\r\n"
                )

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except OSError:
                continue
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept, name=f"demo-tls-{config.name}", daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@contextlib.contextmanager
def demo_servers() -> Iterator[tuple[int, int]]:
    """The good and the weak demo servers; yields their ports."""
    with serve(GOOD, GOOD_PORT) as good, serve(WEAK, WEAK_PORT) as weak:
        yield good, weak


if __name__ == "__main__":  # pragma: no cover - a helper for people trying the demo
    import time

    with demo_servers() as (good_port, weak_port):
        print(f"127.0.0.1:{good_port} (as the guideline asks), 127.0.0.1:{weak_port} (weak)")
        print("Ctrl-C stops them.")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(1)
