"""Failure causes read back from Locust's failure text (pure).

The locustfiles record failures as `HTTP 429: ...`, `timeout: ...` or `connection error: ...`
(`loadtests/common/outcome.py`); Locust wraps them as `CatchResponseError('HTTP 429: ...')`.
Failures raised by other locustfiles (Locust's own `HTTPError`, socket errors) are recognised too,
so a plain locustfile still gets a useful breakdown.
"""

from __future__ import annotations

import re

TIMEOUT = "timeout"
CONNECTION = "connection_error"
OTHER = "other"

_OURS = re.compile(r"^(?:\w+\(['\"])?(HTTP (\d{3})|timeout|connection error):")
_STATUS = re.compile(r"\b([1-5]\d\d)\b(?: (?:Client|Server) Error)?")
_TIMEOUT = re.compile(r"timeout|timed out|RetriesExceeded", re.IGNORECASE)
_CONNECTION = re.compile(
    r"Connection(Refused|Reset|Aborted)?Error|ConnectionError|BrokenPipe|RemoteDisconnected|"
    r"gaierror|No route to host|Name or service not known",
    re.IGNORECASE,
)


def http_cause(status: int) -> str:
    return f"http_{status}"


def classify(error: str) -> str:
    """A failure text's cause: `http_<status>`, `timeout`, `connection_error` or `other`."""
    ours = _OURS.match(error)
    if ours:
        if ours.group(2):
            return http_cause(int(ours.group(2)))
        return TIMEOUT if ours.group(1) == "timeout" else CONNECTION
    if _TIMEOUT.search(error):
        return TIMEOUT
    if _CONNECTION.search(error):
        return CONNECTION
    # Locust's own HttpUser: "HTTPError('503 Server Error: Service Unavailable for url: ...')";
    # FastHttpUser: "BadStatusCode('...', code=503)"
    code = re.search(r"code=(\d{3})", error) or _STATUS.search(error)
    if code and ("Error" in error or "code=" in error):
        return http_cause(int(code.group(1)))
    return OTHER
