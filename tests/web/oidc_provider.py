"""A small OpenID Connect provider on loopback for the single sign-on tests.

It speaks real HTTP and signs real RS256 ID tokens, so the application's whole code path
(token exchange with PKCE, JWKS, signature, nonce, issuer and audience checks, user info) runs
as it would against an institution's provider. The browser's visit to the authorisation page is
replaced by ``authorize``: the test decides who logs in and with which claims.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class Provider:
    def __init__(self, client_id: str = "finres", client_secret: str = "s3cret") -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(4)
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.audience: str | None = None  # to mint tokens for another client
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def settings(self) -> dict[str, Any]:
        return {
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": self.issuer + "/authorize",
            "OIDC_OP_TOKEN_ENDPOINT": self.issuer + "/token",
            "OIDC_OP_USER_ENDPOINT": self.issuer + "/userinfo",
            "OIDC_OP_JWKS_ENDPOINT": self.issuer + "/jwks",
        }

    def authorize(self, query: dict[str, list[str]], claims: dict[str, Any]) -> str:
        """What the provider does when the person logs in there: a code for the client."""
        assert query["client_id"] == [self.client_id]
        assert query["code_challenge_method"] == ["S256"]
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": query["nonce"][0],
            "challenge": query["code_challenge"][0],
            "redirect_uri": query["redirect_uri"][0],
            "claims": claims,
        }
        return code

    def _id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = grant["claims"]
        payload = {
            "iss": self.issuer,
            "aud": self.audience or self.client_id,
            "sub": claims["sub"],
            "nonce": grant["nonce"],
            "iat": now,
            "exp": now + 300,
        }
        if "amr" in claims:
            payload["amr"] = claims["amr"]
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # http.server's naming
                if self.path == "/jwks":
                    jwk = json.loads(RSAAlgorithm.to_jwk(provider.key.public_key()))
                    jwk.update(kid=provider.kid, alg="RS256", use="sig")
                    self._json(200, {"keys": [jwk]})
                elif self.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    claims = provider.access_tokens.get(token)
                    self._json(200, claims) if claims else self._json(401, {"error": "token"})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                grant = provider.codes.pop(form.get("code", ""), None)
                if (
                    self.path != "/token"
                    or grant is None
                    or form.get("client_secret") != provider.client_secret
                    or form.get("redirect_uri") != grant["redirect_uri"]
                ):
                    self._json(400, {"error": "invalid_grant"})
                    return
                verifier = form.get("code_verifier", "").encode()
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest())
                if challenge.rstrip(b"=").decode() != grant["challenge"]:
                    self._json(400, {"error": "invalid_grant", "detail": "PKCE"})
                    return
                access = secrets.token_urlsafe(16)
                provider.access_tokens[access] = grant["claims"]
                self._json(
                    200,
                    {
                        "access_token": access,
                        "token_type": "Bearer",
                        "id_token": provider._id_token(grant),
                    },
                )

        return Handler
