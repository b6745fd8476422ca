"""A lean HTTP user for the locustfiles: geventhttpclient's connection pool, Locust's statistics.

`LeanHttpUser` is a Locust `User` whose `client` sends each request with geventhttpclient's
`HTTPClient` (the keep-alive pool, the liveness check of idle connections, the C HTTP parser and
the timeouts that Locust's `FastHttpUser` runs on too) and reports it through Locust's `request`
event with the fields `FastHttpSession` fires (request_type, name, response_time,
response_length, response, context, exception, start_time, url), so statistics, CSVs, the web UI,
workers and listeners see the same thing. `catch_response=True` behaves as in Locust:
`success()`, `failure(text)` (wrapped as `CatchResponseError`, so the failure text stays ours),
a `ResponseError` raised in the block is a failure, any other exception propagates unreported.

What it leaves out is the per-request machinery of geventhttpclient's `UserAgent` that our
journeys never use, about a third of FastHttpUser's CPU per request here (docs/benchmarks.md):
a cookie jar, redirect following (3xx is a status to judge), retries, response decompression
(it asks for `Accept-Encoding: identity`), URL re-parsing per request and credentials in the
host URL. A locustfile that needs those uses `FastHttpUser`.

This module imports locust (the locustfile imports it; unit tests stay locust-free).
"""

from __future__ import annotations

import json as jsonlib
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import gevent
import gevent.ssl
from common import latency  # noqa: F401  # the per-second latency recorder (a request listener)
from common.open_model import PACER, intended_start
from common.outcome import describe
from gevent import GreenletExit, Timeout
from geventhttpclient import HTTPClient
from locust import User
from locust.exception import CatchResponseError, LocustError, ResponseError, StopTest, StopUser
from locust.user.task import DefaultTaskSet
from locust.user.users import LOCUST_STATE_RUNNING, LOCUST_STATE_STOPPING

# characters an origin-form request target may carry as they are (RFC 3986 pchar, query, '%')
_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]")
_ABSOLUTE = re.compile(r"^https?://", re.IGNORECASE)
# what FastHttpSession adds to a JSON body (a caller's own header of the same name wins)
_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def _unset(**_: object) -> None:
    raise LocustError("this response was not sent by a LeanSession")


def _charset(content_type: str | None) -> str:
    if content_type:
        for param in content_type.split(";")[1:]:
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip("\"'")
    return "utf-8"  # JSON's encoding, and what our services send


class LeanResponse:
    """One exchange: status (0 when none came back), body, headers, and the error, if any."""

    __slots__ = (
        *("_caught", "_entered", "_fire", "_meta", "_result"),
        *("content", "error", "headers", "status_code", "url"),
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.status_code = 0
        self.content: bytes | None = None
        self.headers: Any = None  # geventhttpclient's Headers: case-insensitive, multi-valued
        self.error: BaseException | None = None
        self._result: bool | Exception | None = None
        self._caught = self._entered = False
        self._meta: dict[str, Any] = {}
        self._fire: Callable[..., object] = _unset

    @property
    def ok(self) -> bool:
        return 0 < self.status_code < 400

    @property
    def text(self) -> str | None:
        if self.content is None:
            return None
        content_type = self.headers.get("content-type") if self.headers is not None else None
        try:
            return self.content.decode(_charset(content_type), errors="replace")
        except LookupError:  # a charset Python does not know
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.text or "")

    # -- catch_response=True ------------------------------------------------------------------
    def __enter__(self) -> LeanResponse:
        if not self._caught:
            raise LocustError("a with-block needs catch_response=True")
        self._entered = True
        return self

    def __exit__(self, kind: object, value: BaseException | None, traceback: object) -> bool:
        # Locust's rules (ResponseContextManager): a result set in the block is reported and an
        # exception still propagates; a ResponseError is the failure; any other exception is a
        # bug in the block, propagated and not reported; otherwise the status decides.
        if self._result is not None:
            self._report(self._result)
            return value is None
        if value is not None:
            if not isinstance(value, ResponseError):
                return False
            self._report(value)
            return True
        self._report(self._default_outcome())
        return True

    def _report(self, result: bool | Exception) -> None:
        self._meta["exception"] = None if result is True else result
        self._fire(**self._meta)

    def success(self) -> None:
        if not self._entered:
            raise LocustError("success() needs catch_response=True and a with-block")
        self._result = True

    def failure(self, exc: object) -> None:
        if not self._entered:
            raise LocustError("failure() needs catch_response=True and a with-block")
        self._result = exc if isinstance(exc, Exception) else CatchResponseError(exc)

    def _default_outcome(self) -> bool | Exception:
        """Without success()/failure(): a 2xx/3xx is a success, anything else a named failure."""
        if self.ok and self.error is None:
            return True
        return CatchResponseError(describe(self.status_code, self.error, self.text))


class LeanSession:
    """Sends requests for one user and reports each one to Locust's `request` event."""

    def __init__(
        self,
        base_url: str,
        request_event: Any,
        user: User | None = None,
        *,
        network_timeout: float = 60.0,
        connection_timeout: float = 60.0,
        concurrency: int = 10,
        insecure: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._fire = request_event.fire
        self._user = user
        self._network_timeout = network_timeout
        self._connection_timeout = connection_timeout
        self._concurrency = concurrency
        self._insecure = insecure
        # no compressed answers: nothing here would inflate them (FastHttpUser asks for gzip)
        self._headers = {"Accept-Encoding": "identity", **(headers or {})}
        self._clients: dict[str, HTTPClient] = {}  # one keep-alive pool per origin
        self._prefix = urlsplit(self.base_url).path

    def _client(self, origin: str) -> HTTPClient:
        client = self._clients.get(origin)
        if client is None:
            client = self._clients[origin] = HTTPClient.from_url(
                origin,
                network_timeout=self._network_timeout,
                connection_timeout=self._connection_timeout,
                concurrency=self._concurrency,
                insecure=self._insecure,
                # as FastHttpUser: `insecure` also accepts certificates nobody signed
                ssl_context_factory=(
                    gevent.ssl._create_unverified_context if self._insecure else None
                ),
                headers=self._headers,
            )
        return client

    def _target(self, url: str) -> tuple[HTTPClient, str]:
        if _ABSOLUTE.match(url):
            parts = urlsplit(url)
            origin, path = f"{parts.scheme}://{parts.netloc}", parts.path or "/"
            if parts.query:
                path = f"{path}?{parts.query}"
        else:
            origin, path = self.base_url, self._prefix + url
        if _UNSAFE.search(path):
            path = quote(path, safe="/?&=%:@!$'()*+,;~")
        return self._client(origin), path

    def request(
        self,
        method: str,
        url: str,
        *,
        name: str | None = None,
        headers: dict[str, str] | None = None,
        json: Any = None,
        data: str | bytes | None = None,
        catch_response: bool = False,
        context: dict[str, Any] | None = None,
    ) -> LeanResponse:
        """Send one request; with `catch_response=True` use the answer as a with-block."""
        response = LeanResponse(url)
        if json is not None and data is None:
            data = jsonlib.dumps(json)
            headers = {**_JSON_HEADERS, **headers} if headers else _JSON_HEADERS
        merged = {**self._user.context(), **(context or {})} if self._user else context or {}
        due = intended_start()  # open model: the first request of an arrival is timed from
        start_time, started = due if due is not None else (time.time(), time.perf_counter())
        try:
            client, path = self._target(url)
            answer = client.request(method, path, body=data, headers=headers)
            response.content = answer.read()
            response.status_code = answer.status_code
            response.headers = answer.info()  # the Headers (case-insensitive)
        except (Exception, Timeout) as error:  # every failure is a result
            response.error = error
        elapsed_ms = (time.perf_counter() - started) * 1000
        meta = {
            "request_type": method,
            "name": name or url,
            "context": merged,
            "response": response,
            "exception": None,
            "start_time": start_time,
            "url": url,
            "response_time": elapsed_ms,
            "response_length": len(response.content) if response.content else 0,
        }
        response._meta, response._fire, response._caught = meta, self._fire, catch_response
        if not catch_response:
            response._report(response._default_outcome())
        return response

    def get(self, url: str, **kwargs: Any) -> LeanResponse:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> LeanResponse:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> LeanResponse:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> LeanResponse:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> LeanResponse:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


class LeanHttpUser(User):
    """A `FastHttpUser` without the per-request work our journeys do not need (see above)."""

    abstract = True
    network_timeout: float = 60.0
    connection_timeout: float = 60.0
    concurrency: int = 10
    insecure: bool = True
    default_headers: dict[str, str] | None = None
    # open model: one session serves many overlapping arrivals, so its pool must not be
    # what limits them (a stall would queue requests in the client instead of the server)
    open_model_concurrency: int = 200

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        if self.host is None:
            raise LocustError(
                "You must specify the base host. Either in the host attribute in the User class, "
                "or on the command line using the --host option."
            )
        self.client = LeanSession(
            self.host,
            environment.events.request,
            self,
            network_timeout=self.network_timeout,
            connection_timeout=self.connection_timeout,
            concurrency=(
                max(self.concurrency, self.open_model_concurrency)
                if PACER.active
                else self.concurrency
            ),
            insecure=self.insecure,
            headers=self.default_headers,
        )

    def run(self) -> None:
        """Locust's closed model; with `--arrival-rate`, a session the pacer sends tasks to."""
        if not PACER.active:
            super().run()
            return
        self._state = LOCUST_STATE_RUNNING
        self._taskset_instance = DefaultTaskSet(self)
        try:
            self.on_start()
            PACER.ready(self)
            while self._state != LOCUST_STATE_STOPPING:
                gevent.sleep(0.2)
            raise StopUser
        except (GreenletExit, StopUser, StopTest):
            PACER.gone(self)
            self.on_stop()
