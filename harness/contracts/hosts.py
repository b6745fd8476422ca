"""Where the harness may send traffic: loopback, and hosts named in an explicit allow-list.

One rule for every address a user hands in (`load.host` in a scenario, `harness load --host`,
`harness run --gateway/--prometheus`): an http(s) URL with a host and no credentials in it,
whose host is loopback (`localhost`, 127.0.0.0/8, ::1) or is named in the allow-list
(`allowed_hosts:` in the scenario's `harness` extension, `--allow-host` on the command line).
Addresses are parsed, never resolved: a name that happens to resolve to loopback, an odd IP
spelling (`2130706433`, `0x7f.1`) or `0.0.0.0` is not loopback and must be allow-listed
(OWASP's advice for server-side requests; k6's `blockHostnames` works the same way). Pure.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from harness.errors import BadInput

SCHEMES = ("http", "https")


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback IP address written the standard way."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def normalise(host: str) -> str:
    return host.strip().strip("[]").lower().rstrip(".")


def host_of(url: str) -> str:
    """The URL's host, normalised (empty when it has none)."""
    return normalise(urlsplit(url).hostname or "")


def check_url(url: str, *, flag: str, allowed: Iterable[str] = ()) -> str:
    """`url` without a trailing slash, or BadInput naming `flag` and the fix (one line)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError as exc:
        raise BadInput(f"{flag}: {url!r} is not a URL ({exc})") from None
    if parts.scheme not in SCHEMES:
        got = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise BadInput(
            f"{flag}: {url!r} is not an http(s) URL (got {got}; e.g. http://127.0.0.1:8000)"
        )
    if not host:
        raise BadInput(f"{flag}: {url!r} has no host (e.g. http://127.0.0.1:8000)")
    if parts.username or parts.password:
        raise BadInput(f"{flag}: credentials in the URL are not accepted (they would be logged)")
    name = normalise(host)
    if not is_loopback(name) and name not in {normalise(a) for a in allowed}:
        raise BadInput(
            f"{flag}: {name} is not a loopback address; the harness sends traffic elsewhere "
            f"only to hosts named in an allow-list (add `allowed_hosts: [{name}]` to the "
            f"scenario's harness extension, or --allow-host {name})"
        )
    return url.strip().rstrip("/")


__all__ = ["SCHEMES", "check_url", "host_of", "is_loopback", "normalise"]
