"""Where the load generator finds the gateway credentials, in one small function.

The gateway's consumer `web-app` (deploy/kubernetes/kong.yaml) has a key-auth key and an HS256
JWT credential whose key (the `iss` the gateway looks up) is `web-app`. Their values live in the
Secret `kong-consumer-credentials`; the local target generates it into the state folder
(`.harness/` or `$HARNESS_STATE_DIR`) as `secrets/kong-consumer-credentials/<key>` (one file per
key; the older `secrets/<namespace>.kong-consumer-credentials.json` is read too).
Environment variables override each value; that is also how the Kubernetes manifest for Locust
hands them in. Change the names here, and only here, if that layout changes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

SECRET_NAME = "kong-consumer-credentials"
SECRET_KEYS = {"api_key": "web-app-api-key", "jwt_secret": "web-app-jwt-secret"}
JWT_ISSUER = "web-app"  # the jwt_secrets key of the consumer: public, not a secret
ENV = {
    "api_key": "HARNESS_API_KEY",
    "jwt_issuer": "HARNESS_JWT_ISSUER",
    "jwt_secret": "HARNESS_JWT_SECRET",
}


@dataclass(frozen=True)
class Credentials:
    """What a gateway consumer needs: a key-auth key and a JWT credential (issuer + secret)."""

    api_key: str = ""
    jwt_issuer: str = JWT_ISSUER
    jwt_secret: str = ""

    def __repr__(self) -> str:  # never print secrets, not even in a debug log
        return (
            f"Credentials(api_key={'set' if self.api_key else 'unset'}, "
            f"jwt_issuer={self.jwt_issuer!r}, jwt_secret={'set' if self.jwt_secret else 'unset'})"
        )


def state_dir(env: dict[str, str] | None = None) -> Path:
    """The local state folder: `$HARNESS_STATE_DIR`, else `.harness/` in the project."""
    env = dict(os.environ) if env is None else env
    configured = env.get("HARNESS_STATE_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / ".harness"


def load_credentials(env: dict[str, str] | None = None) -> Credentials:
    """Read the consumer credentials from `<state>/secrets/`, then apply env overrides."""
    env = dict(os.environ) if env is None else env
    values: dict[str, str] = {}
    folder = state_dir(env) / "secrets"
    # `default.` first: the namespace the sample system lives in
    files = sorted(
        folder.glob(f"*.{SECRET_NAME}.json"), key=lambda p: not p.name.startswith("default.")
    )
    for path in files[:1]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if isinstance(data, dict):
            values = {f: str(data[k]) for f, k in SECRET_KEYS.items() if data.get(k)}
    # The local cluster's layout: one file per key, `secrets/<name>/<key>` (the gateway reads
    # the same files); it wins over the older one-JSON-per-Secret layout above.
    for field, key in SECRET_KEYS.items():
        try:
            value = (folder / SECRET_NAME / key).read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if value:
            values[field] = value
    for field, var in ENV.items():
        if env.get(var):
            values[field] = env[var]
    return Credentials(**values)
