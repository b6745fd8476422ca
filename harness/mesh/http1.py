"""Minimal HTTP/1.1 on asyncio: a keep-alive server protocol and a pooled upstream client.

Bodies are buffered (the sample services exchange small JSON documents); httptools does the
parsing. Everything here is I/O plumbing; decisions live in `mesh.py` and `gateway.py`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import cast

import httptools

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"te",
        b"trailer",
        b"upgrade",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"content-length",
    }
)
Headers = list[tuple[bytes, bytes]]
_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}


class Request:
    __slots__ = ("body", "headers", "keep_alive", "method", "peer_ip", "target")

    def __init__(
        self,
        method: str,
        target: str,
        headers: Headers,
        body: bytes,
        peer_ip: str,
        keep_alive: bool,
    ) -> None:
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.peer_ip = peer_ip
        self.keep_alive = keep_alive

    def header_map(self) -> dict[str, str]:
        """Lower-case names → first value (latin-1, as HTTP/1.1 header bytes are)."""
        out: dict[str, str] = {}
        for k, v in self.headers:
            name = k.decode("latin-1").lower()
            if name not in out:
                out[name] = v.decode("latin-1")
        return out


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Headers, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


def text_response(
    status: int, body: bytes, extra: Headers | None = None, content_type: bytes = b"text/plain"
) -> Response:
    return Response(status, [(b"content-type", content_type), *(extra or [])], body)


def serialize_response(resp: Response, keep_alive: bool, head: bool = False) -> bytes:
    parts = [b"HTTP/1.1 %d %s\r\n" % (resp.status, _REASONS.get(resp.status, b"Unknown"))]
    for k, v in resp.headers:
        if k.lower() not in HOP_BY_HOP:
            parts.append(k + b": " + v + b"\r\n")
    parts.append(b"content-length: %d\r\n" % len(resp.body))
    if not keep_alive:
        parts.append(b"connection: close\r\n")
    parts.append(b"\r\n")
    if not head:
        parts.append(resp.body)
    return b"".join(parts)


def serialize_request(method: str, target: str, headers: Headers, body: bytes) -> bytes:
    parts = [f"{method} {target} HTTP/1.1\r\n".encode("latin-1")]
    for k, v in headers:
        if k.lower() not in HOP_BY_HOP:
            parts.append(k + b": " + v + b"\r\n")
    if body or method in ("POST", "PUT", "PATCH"):
        parts.append(b"content-length: %d\r\n" % len(body))
    parts.append(b"\r\n")
    parts.append(body)
    return b"".join(parts)


Handler = Callable[[Request], Awaitable[Response]]


class ServerProtocol(asyncio.Protocol):
    """One downstream connection; requests on it are answered in order."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._peer = "127.0.0.1"
        self._url = b""
        self._headers: Headers = []
        self._body: list[bytes] = []
        self._queue: deque[Request] = deque()
        self._busy = False
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing asyncio.Transport
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        if peer:
            self._peer = peer[0]

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reply_and_close(400)
        except httptools.HttpParserError:
            self._reply_and_close(400)

    def _reply_and_close(self, status: int) -> None:
        if self._transport is not None and not self._closed:
            self._transport.write(serialize_response(text_response(status, b""), False))
            self._transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._body = []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        req = Request(
            self._parser.get_method().decode("ascii"),
            self._url.decode("latin-1"),
            self._headers,
            b"".join(self._body),
            self._peer,
            self._parser.should_keep_alive(),
        )
        if self._busy:
            self._queue.append(req)
        else:
            self._busy = True
            asyncio.get_running_loop().create_task(self._serve(req))

    async def _serve(self, req: Request) -> None:
        current: Request | None = req
        while current is not None:
            try:
                resp = await self._handler(current)
            except Exception:  # a bug must not kill the connection silently without an answer
                resp = text_response(500, b"internal proxy error")
            if self._closed or self._transport is None:
                return
            self._transport.write(
                serialize_response(resp, current.keep_alive, current.method == "HEAD")
            )
            if not current.keep_alive:
                self._transport.close()
                return
            current = self._queue.popleft() if self._queue else None
        self._busy = False


class UpstreamError(Exception):
    """No HTTP response: `kind` is "connect", "reset" or "timeout"."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class _UpstreamConn(asyncio.Protocol):
    def __init__(self, pool: Pool, key: tuple[str, int]) -> None:
        self._pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._fut: asyncio.Future[Response] | None = None
        self._headers: Headers = []
        self._body: list[bytes] = []
        self._head = False
        self.closed = False
        self.got_bytes = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._pool.forget(self)
        if self._fut is not None and not self._fut.done():
            self._fut.set_exception(UpstreamError("reset"))

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            if self._fut is not None and not self._fut.done():
                self._fut.set_exception(UpstreamError("reset"))
            self.close()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self._head:
            self._finish()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if not self._head:
            self._finish()

    def _finish(self) -> None:
        fut = self._fut
        if fut is None or fut.done():
            return
        resp = Response(self._parser.get_status_code(), self._headers, b"".join(self._body))
        self._fut = None
        reusable = self._parser.should_keep_alive()
        fut.set_result(resp)
        if reusable and not self.closed:
            self._pool.release(self)
        else:
            self.close()

    def send(self, data: bytes, head: bool) -> asyncio.Future[Response]:
        assert self.transport is not None
        self._fut = asyncio.get_running_loop().create_future()
        self._headers = []
        self._body = []
        self._head = head
        self.got_bytes = False
        self.transport.write(data)
        return self._fut

    def close(self) -> None:
        self.closed = True
        self._pool.forget(self)
        if self.transport is not None:
            self.transport.close()


class Pool:
    """Keep-alive connections per upstream address."""

    def __init__(self, max_idle_per_host: int = 64) -> None:
        self._idle: dict[tuple[str, int], list[_UpstreamConn]] = {}
        self._max_idle = max_idle_per_host

    def forget(self, conn: _UpstreamConn) -> None:
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)

    def release(self, conn: _UpstreamConn) -> None:
        idle = self._idle.setdefault(conn.key, [])
        if len(idle) < self._max_idle:
            idle.append(conn)
        else:
            conn.close()

    async def _connect(self, key: tuple[str, int], limit_s: float) -> _UpstreamConn:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(limit_s):
                _, proto = await loop.create_connection(lambda: _UpstreamConn(self, key), *key)
        except (OSError, TimeoutError) as exc:
            raise UpstreamError("connect") from exc
        return proto

    async def request(
        self,
        ip: str,
        port: int,
        data: bytes,
        *,
        head: bool = False,
        limit_s: float | None = None,
        connect_limit_s: float = 10.0,
    ) -> Response:
        """One exchange; a kept-alive connection that dies before answering is retried once."""
        key = (ip, port)
        idle = self._idle.get(key)
        conn = idle.pop() if idle else None
        if conn is not None:
            try:
                return await self._exchange(conn, data, head, limit_s)
            except UpstreamError as exc:
                # The server closed an idle connection as we reused it: nothing was processed.
                if exc.kind != "reset" or conn.got_bytes:
                    raise
        conn = await self._connect(key, connect_limit_s)
        return await self._exchange(conn, data, head, limit_s)

    async def _exchange(
        self, conn: _UpstreamConn, data: bytes, head: bool, limit_s: float | None
    ) -> Response:
        fut = conn.send(data, head)
        if limit_s is None:
            return await fut
        loop = asyncio.get_running_loop()

        def expire() -> None:
            if not fut.done():
                fut.set_exception(UpstreamError("timeout"))
                conn.close()

        handle = loop.call_later(limit_s, expire)
        try:
            return await fut
        finally:
            handle.cancel()

    def close(self) -> None:
        for conns in list(self._idle.values()):
            for c in list(conns):
                c.close()
        self._idle.clear()
