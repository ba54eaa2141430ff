"""A staging log-in page on loopback for the log-in probe's tests: a form with a CSRF token, a
session cookie, and an account that locks after ``lock_after`` wrong passwords (never, if
None)."""

from __future__ import annotations

import contextlib
import http.server
import secrets
import threading
import urllib.parse
from collections.abc import Iterator

FORM = (
    '<html><body><form method="post" action="/login">'
    '<input type="hidden" name="csrf" value="{token}">'
    '<input type="text" name="account"><input type="password" name="secret">'
    '<input type="submit" value="Log in"></form></body></html>'
)


@contextlib.contextmanager
def login_server(password: str, lock_after: int | None) -> Iterator[str]:
    state = {"failures": 0, "tokens": set()}

    class Handler(http.server.BaseHTTPRequestHandler):
        def _send(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Set-Cookie", "session=anonymous; Path=/")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            token = secrets.token_hex(8)
            state["tokens"].add(token)
            self._send(200, FORM.format(token=token))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            if form.get("csrf", [""])[0] not in state["tokens"]:
                self._send(403, "CSRF check failed")
                return
            locked = lock_after is not None and state["failures"] >= lock_after
            if form.get("account") == ["tester"] and form.get("secret") == [password]:
                if not locked:
                    self._send(200, "<html><body>Welcome, tester</body></html>")
                    return
            else:
                state["failures"] += 1
            token = secrets.token_hex(8)
            state["tokens"].add(token)
            self._send(200, "Wrong account or password" + FORM.format(token=token))

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/login"
    finally:
        server.shutdown()
        server.server_close()
