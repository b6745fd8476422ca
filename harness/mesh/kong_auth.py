"""Kong's authentication plugins: key-auth and jwt (docs/parity.md, "Kong (gateway)")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl

from harness.mesh import kong_model as km
from harness.mesh.kong_request import Credentials, Exit, GatewayRequest, error_exit, plain_exit

# --- key-auth -----------------------------------------------------------------------------


def _www_key(conf: km.KeyAuthConfig) -> tuple[tuple[str, str], ...]:
    return (("WWW-Authenticate", f'Key realm="{conf.realm}"' if conf.realm else "Key"),)


def access_key_auth(conf: km.KeyAuthConfig, req: GatewayRequest, creds: Credentials) -> Exit | None:
    if not conf.run_on_preflight and req.method == "OPTIONS":
        return None
    key: str | None = None
    query = req.query_args() if conf.key_in_query else {}
    for name in conf.key_names:
        lname = name.lower()
        if conf.key_in_header and lname in req.headers:
            if lname in req.repeated:
                return error_exit(401, "Duplicate API key found", req.request_id, _www_key(conf))
            key = req.headers[lname]
        elif conf.key_in_query and name in query:
            if len([1 for k, _ in parse_qsl(req.query) if k == name]) > 1:
                return error_exit(401, "Duplicate API key found", req.request_id, _www_key(conf))
            key = query[name]
        if key is not None:
            if conf.hide_credentials:
                req.upstream_clear.add(lname)
            break
    if not key:
        return error_exit(401, "No API key found in request", req.request_id, _www_key(conf))
    found = creds.by_key.get(key)
    if found is None:
        return error_exit(401, "Unauthorized", req.request_id, _www_key(conf))
    _set_consumer(req, *found)
    return None


def _set_consumer(
    req: GatewayRequest, consumer: km.Consumer, cred: km.KeyAuthCredential | km.JwtSecret
) -> None:
    req.consumer = consumer
    req.credential_id = cred.id or (consumer.username or "") + ":" + (
        cred.key if isinstance(cred, km.JwtSecret) and cred.key else "cred"
    )
    if consumer.id:
        req.upstream_set["X-Consumer-ID"] = consumer.id
    if consumer.custom_id:
        req.upstream_set["X-Consumer-Custom-ID"] = consumer.custom_id
    if consumer.username:
        req.upstream_set["X-Consumer-Username"] = consumer.username
    req.upstream_set["X-Credential-Identifier"] = req.credential_id
    req.upstream_clear.add("x-anonymous-consumer")


# --- jwt ----------------------------------------------------------------------------------

_BEARER = re.compile(r"\s*[Bb]earer\s+(.+)")
_HMAC = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _jwt_exit(conf: km.JwtConfig, payload: Mapping[str, str], token_seen: bool) -> Exit:
    if conf.realm:
        www = f'Bearer realm="{conf.realm}"' + (', error="invalid_token"' if token_seen else "")
    else:
        www = 'Bearer error="invalid_token"' if token_seen else "Bearer"
    return plain_exit(401, payload, (("WWW-Authenticate", www),))


def find_tokens(conf: km.JwtConfig, req: GatewayRequest) -> set[str]:
    tokens: set[str] = set()
    pairs = parse_qsl(req.query, keep_blank_values=True)
    for name in conf.uri_param_names:
        tokens.update(v for k, v in pairs if k == name and v)
    if conf.cookie_names and "cookie" in req.headers:
        jar = dict(
            part.strip().split("=", 1) for part in req.headers["cookie"].split(";") if "=" in part
        )
        tokens.update(jar[c] for c in conf.cookie_names if jar.get(c))
    for name in conf.header_names:
        value = req.headers.get(name.lower())
        if value:
            m = _BEARER.match(value)
            if m:
                tokens.add(m.group(1).strip())
    return tokens


def access_jwt(
    conf: km.JwtConfig, req: GatewayRequest, creds: Credentials, now: float | None = None
) -> Exit | None:
    if not conf.run_on_preflight and req.method == "OPTIONS":
        return None
    tokens = find_tokens(conf, req)
    if not tokens:
        return _jwt_exit(conf, {"message": "Unauthorized"}, False)
    if len(tokens) > 1:
        return _jwt_exit(conf, {"message": "Multiple tokens provided"}, True)
    token = next(iter(tokens))
    parts = token.split(".", 2)
    try:
        if len(parts) != 3:
            raise ValueError
        header = json.loads(_b64url(parts[0]))
        claims = json.loads(_b64url(parts[1]))
        signature = _b64url(parts[2])
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError
    except (ValueError, TypeError):
        return _jwt_exit(conf, {"message": "Bad token; invalid JSON"}, True)
    alg = header.get("alg")
    # Kong's parser only knows real algorithms: `none` fails here, before any key lookup.
    if not isinstance(alg, str) or (alg not in _HMAC and alg not in ("RS256", "RS512", "ES256")):
        return _jwt_exit(conf, {"message": "Bad token; invalid alg"}, True)
    claim = conf.key_claim_name
    key = claims.get(claim, header.get(claim))
    if key is None:
        return _jwt_exit(conf, {"message": f"No mandatory '{claim}' in claims"}, True)
    if key == "":
        return _jwt_exit(conf, {"message": f"Invalid '{claim}' in claims"}, True)
    found = creds.by_jwt_key.get(str(key))
    if found is None:
        return _jwt_exit(conf, {"message": f"No credentials found for given '{claim}'"}, True)
    consumer, secret = found
    if alg != secret.algorithm:
        return _jwt_exit(conf, {"message": "Invalid algorithm"}, True)
    if alg not in _HMAC or secret.secret is None:
        # Asymmetric keys need `cryptography`, which the local gateway does not ship.
        return _jwt_exit(conf, {"message": "Invalid key/secret"}, True)
    key_bytes = secret.secret.encode()
    if conf.secret_is_base64:
        try:
            key_bytes = base64.b64decode(secret.secret)
        except ValueError:
            return _jwt_exit(conf, {"message": "Invalid key/secret"}, True)
    expected = hmac.new(key_bytes, f"{parts[0]}.{parts[1]}".encode(), _HMAC[alg]).digest()
    if not hmac.compare_digest(expected, signature):
        return _jwt_exit(conf, {"message": "Invalid signature"}, True)
    t = time.time() if now is None else now
    errors: dict[str, str] = {}
    for name in conf.claims_to_verify:
        value = claims.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            errors[name] = "must be a number"
        elif name == "exp" and value <= math.floor(t):
            errors[name] = "token expired"
        elif name == "nbf" and value > math.floor(t):
            errors[name] = "token not valid yet"
    if errors:
        return _jwt_exit(conf, errors, True)
    if conf.maximum_expiration > 0:
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp - t > conf.maximum_expiration:
            return _jwt_exit(conf, {"exp": "exceeds maximum allowed expiration"}, True)
    _set_consumer(req, consumer, secret)
    return None
