"""Real TLS servers on loopback for the checks' tests: OpenSSL's s_server in good and bad
configurations, and a tlslite-ng server that offers the hybrid post-quantum X25519MLKEM768."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, seconds: float = 10, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port}")


def certificate(
    folder: Path,
    name: str,
    *,
    key: str = "rsa2048",
    digest: hashes.SHA256 | hashes.SHA384 | None = None,
    days: tuple[int, int] = (-1, 30),
    dns: str = "localhost",
) -> tuple[Path, Path]:
    """A self-signed certificate and its key as PEM files."""
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    if key == "rsa1024-sha1":  # cryptography refuses to sign with SHA-1: the openssl command
        subprocess.run(
            [str(shutil.which("openssl")), "req", "-x509", "-newkey", "rsa:1024", "-sha1",
             "-nodes", "-keyout", str(key_path), "-out", str(cert_path), "-days", "30",
             "-subj", f"/CN={dns}", "-addext", f"subjectAltName=DNS:{dns}"],
            check=True, capture_output=True,
        )  # fmt: skip
        return cert_path, key_path
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if key == "rsa2048":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif key == "rsa1024":
        private = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
        .sign(private, digest or hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextlib.contextmanager
def openssl_server(cert: Path, key: Path, *options: str) -> Iterator[int]:
    """``openssl s_server`` on a free loopback port, stopped afterwards."""
    binary = shutil.which("openssl")
    assert binary, "the openssl command is needed for these tests"
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "s_server",
            "-accept",
            f"127.0.0.1:{port}",
            "-cert",
            str(cert),
            "-key",
            str(key),
            "-quiet",
            *options,
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def hybrid_server(cert: Path, key: Path) -> Iterator[int]:
    """A TLS 1.3 server (tlslite-ng) offering X25519MLKEM768, x25519 and P-256 only."""
    from tlslite.api import HandshakeSettings, TLSConnection, X509CertChain, parsePEMKey

    chain = X509CertChain()
    chain.parsePemList(cert.read_text())
    private = parsePEMKey(key.read_text(), private=True)
    settings = HandshakeSettings()
    settings.minVersion, settings.maxVersion = (3, 4), (3, 4)
    settings.eccCurves = ["x25519mlkem768", "x25519", "secp256r1"]
    settings.keyShares = []
    settings.dhGroups = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    port = int(listener.getsockname()[1])
    stop = threading.Event()

    def serve_one(conn: socket.socket) -> None:
        conn.settimeout(10)
        tls = TLSConnection(conn)
        with contextlib.suppress(Exception):
            tls.handshakeServer(certChain=chain, privateKey=private, settings=settings)
            tls.close()
        conn.close()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@contextlib.contextmanager
def https_server(cert: Path, key: Path, headers: dict[str, str]) -> Iterator[int]:
    """A small HTTPS server (Python's ssl and http.server) answering GET with ``headers``."""
    import http.server
    import ssl

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
