"""HS256 JSON Web Tokens for the payment route, built with the standard library.

The gateway (Kong `jwt` plugin semantics) finds the consumer by the `iss` claim and checks the
signature with that consumer's secret; `exp` keeps a leaked token short-lived.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hs256_token(
    issuer: str, secret: str, *, lifetime_s: int = 300, now: float | None = None
) -> str:
    """A compact JWT `{"iss": issuer, "exp": now + lifetime}` signed with HMAC-SHA256."""
    issued = int(time.time() if now is None else now)
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"iss": issuer, "iat": issued, "exp": issued + lifetime_s}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = hmac.new(secret.encode("utf-8"), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


class TokenCache:
    """Reuses one token until shortly before it expires (signing per request costs CPU)."""

    def __init__(self, issuer: str, secret: str, *, lifetime_s: int = 300) -> None:
        self._issuer = issuer
        self._secret = secret
        self._lifetime = lifetime_s
        self._token = ""
        self._renew_at = 0.0

    def get(self) -> str:
        now = time.time()
        if now >= self._renew_at:
            self._token = hs256_token(
                self._issuer, self._secret, lifetime_s=self._lifetime, now=now
            )
            self._renew_at = now + self._lifetime * 0.8
        return self._token
