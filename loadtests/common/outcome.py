"""Turn one HTTP exchange into a success, or a failure whose text names its cause.

Locust groups failures by their text, so the text must be short and low-cardinality (no ids, no
timestamps) and must start with the cause: `HTTP 429: ...`, `timeout: ...`, `connection error:
...`. `harness.load.causes` reads these prefixes back to tell a 429 from a 503 from a timeout.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Collection
from http import HTTPStatus
from typing import Protocol

_VOLATILE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F-]{27,}|\d+")
_MAX_REASON = 60


class CaughtResponse(Protocol):
    """The part of Locust's `catch_response=True` response object this module needs."""

    status_code: int
    error: BaseException | None

    @property
    def text(self) -> str | None: ...

    def success(self) -> None: ...

    def failure(self, exc: object) -> None: ...


def is_timeout(error: BaseException | None) -> bool:
    """True for the ways a request deadline shows up (socket, gevent, builtin)."""
    if error is None:
        return False
    if isinstance(error, TimeoutError | socket.timeout):
        return True
    name = type(error).__name__.lower()
    return "timeout" in name or "timed out" in str(error).lower()


def _short(text: str) -> str:
    text = _VOLATILE.sub("N", " ".join(text.split()))
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def _body_message(body: str | None) -> str:
    if not body:
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if isinstance(data, dict):
        for key in ("message", "detail", "error"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
    return ""


def describe(status: int, error: BaseException | None, body: str | None) -> str:
    """The failure text for one exchange: cause first, then a short reason."""
    if status == 0 or (error is not None and not status):
        if is_timeout(error):
            return f"timeout: {type(error).__name__}"
        name = type(error).__name__ if error is not None else "no response"
        return f"connection error: {name}"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "unknown status"
    message = _body_message(body)
    return f"HTTP {status}: {_short(message) if message else phrase}"


def record(response: CaughtResponse, expected: Collection[int] = (200,)) -> bool:
    """Mark `response` as success when its status is expected, else as a described failure."""
    if response.status_code in expected:
        response.success()
        return True
    try:
        body = response.text if response.status_code else None
    except Exception:  # a body that cannot be decoded must not hide the status
        body = None
    response.failure(describe(response.status_code, response.error, body))
    return False
