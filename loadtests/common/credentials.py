"""Where the load generator finds the gateway credentials, in one small function.

The local target writes them into the state folder (`.harness/` or `$HARNESS_STATE_DIR`) under
`secrets/`; environment variables override each value, which is also how the Kubernetes manifest
hands them in from a Secret. Change the file names here, and only here, if the cluster's layout
changes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

# Names tried in order inside `<state>/secrets/`; a JSON file wins over single-value files.
_JSON_FILES = ("gateway-consumer.json", "consumer.json", "gateway.json")
_VALUE_FILES = {
    "api_key": ("api-key", "apikey", "api_key"),
    "jwt_issuer": ("jwt-issuer", "jwt-key", "jwt_issuer"),
    "jwt_secret": ("jwt-secret", "jwt_secret"),
}
_ENV = {"api_key": "HARNESS_API_KEY", "jwt_issuer": "HARNESS_JWT_ISSUER", "jwt_secret": "HARNESS_JWT_SECRET"}


@dataclass(frozen=True)
class Credentials:
    """What a gateway consumer needs: a key-auth key and a JWT credential (issuer + secret)."""

    api_key: str = ""
    jwt_issuer: str = ""
    jwt_secret: str = ""

    def __repr__(self) -> str:  # never print secrets, not even in a debug log
        return f"Credentials(api_key={'set' if self.api_key else 'unset'}, jwt_issuer={self.jwt_issuer!r})"


def state_dir(env: dict[str, str] | None = None) -> Path:
    """The local state folder: `$HARNESS_STATE_DIR`, else `.harness/` in the project."""
    env = dict(os.environ) if env is None else env
    configured = env.get("HARNESS_STATE_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / ".harness"


def load_credentials(env: dict[str, str] | None = None) -> Credentials:
    """Read the consumer credentials from `<state>/secrets/`, then apply env overrides."""
    env = dict(os.environ) if env is None else env
    secrets = state_dir(env) / "secrets"
    values: dict[str, str] = {}
    for name in _JSON_FILES:
        path = secrets / name
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                for field in _VALUE_FILES:
                    if isinstance(data.get(field), str):
                        values.setdefault(field, data[field])
    for field, names in _VALUE_FILES.items():
        for name in names:
            path = secrets / name
            if field not in values and path.is_file():
                values[field] = path.read_text(encoding="utf-8").strip()
    for field, var in _ENV.items():
        if env.get(var):
            values[field] = env[var]
    return Credentials(**values)
