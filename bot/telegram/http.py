"""The Bot API transport: PTB's HTTPX request, with requests queued before httpx, not in it.

With many chats served at once (UPDATE_CONCURRENCY), most requests wait for one of the few
keep-alive connections. httpcore's pool re-scans every waiting request against every connection
(and asks each idle socket whether the server closed it, a system call) each time a request
starts or ends, so its bookkeeping grows with connections × waiting requests and was the largest
single cost of answering a report (docs/benchmarks.md, P2). Waiting on a semaphore in front of
the pool instead costs nothing per waiter; httpx only ever sees requests it can send at once.

Asking an idle connection whether the server closed it is still done for every idle connection
at every start and end of a request. Through anyio that question builds the socket's whole
attribute table (a getpeername() system call among them) each time; `QuickCheckTransport` asks
the socket directly, with the one poll() call httpcore makes anyway.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

KEEPALIVE_SECONDS = 5.0  # httpx's default


def _readable(sock: socket.socket | None) -> bool:
    """Whether the server sent something (or closed): a closed idle connection is dropped."""
    if sock is None or sock.fileno() < 0:
        return True  # as httpcore does: a socket that is gone reads as closed
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    return bool(poller.poll(0))


class _QuickCheckStream(httpcore.AsyncNetworkStream):
    """A connection's stream that remembers its socket instead of looking it up each time."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        """Wrap `stream`; its socket stays the same for its whole life (TLS included)."""
        self._stream = stream
        self._socket: socket.socket | None = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read as the wrapped stream does."""
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write as the wrapped stream does."""
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        """Close the wrapped stream."""
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Upgrade to TLS, still answering the readability question directly."""
        secure = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        return _QuickCheckStream(secure)

    def get_extra_info(self, info: str) -> Any:
        """ "is_readable" from the remembered socket; everything else from the stream."""
        if info == "is_readable":
            return _readable(self._socket)
        return self._stream.get_extra_info(info)


class _QuickCheckBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, handing out `_QuickCheckStream`s."""

    def __init__(self) -> None:
        """Connect through anyio, as httpx does by default."""
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Open a TCP connection."""
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _QuickCheckStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        """Open a Unix socket connection (a local Bot API server)."""
        stream = await self._backend.connect_unix_socket(path, timeout, socket_options)
        return _QuickCheckStream(stream)

    async def sleep(self, seconds: float) -> None:
        """Sleep as anyio does."""
        await self._backend.sleep(seconds)


class QuickCheckTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (HTTP/1.1, TLS verified) on `_QuickCheckBackend`.

    httpx offers no parameter for httpcore's network backend, so the pool it built is
    replaced by the same pool on ours (tests/test_http_request.py fails if httpx changes this).
    """

    def __init__(self, connections: int) -> None:
        """Up to `connections` keep-alive connections."""
        super().__init__(limits=httpx.Limits(max_connections=connections))
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=connections,
            keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=_QuickCheckBackend(),
        )


class BoundedRequest(HTTPXRequest):
    """PTB's HTTPX request, sent straight to the transport, at most one per connection.

    Requests beyond `connection_pool_size` wait their turn here. Each request goes to httpx's
    transport directly rather than through `AsyncClient.request`: the Bot API needs none of
    the client's layers (cookies, redirects, authentication, URL merging), which cost as much
    as the pool itself on every message (docs/benchmarks.md, P2). Timeouts, errors and the
    client's life cycle are PTB's, as in `HTTPXRequest.do_request`.
    """

    def __init__(self, connection_pool_size: int, pool_timeout: float, **kwargs: Any) -> None:
        """One slot per connection; a request that waits longer than `pool_timeout` times out."""
        self._transport = QuickCheckTransport(connection_pool_size)
        super().__init__(
            connection_pool_size=connection_pool_size,
            pool_timeout=pool_timeout,
            httpx_kwargs={"transport": self._transport},
            **kwargs,
        )
        self._slots = asyncio.Semaphore(connection_pool_size)
        self._wait_limit = pool_timeout

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Take a slot (as httpx's pool timeout would bound the wait), then send."""
        if self._client.is_closed:
            raise RuntimeError("This HTTPXRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        timeouts = self._timeouts(
            read_timeout, write_timeout, connect_timeout, pool_timeout, media=bool(files)
        )
        request = httpx.Request(
            method,
            url,
            headers={"User-Agent": self.USER_AGENT},
            files=files,
            data=request_data.json_parameters if request_data else None,
            extensions={"timeout": timeouts.as_dict()},
        )
        if self._slots.locked():
            await self._wait_for_slot()
        else:
            await self._slots.acquire()  # free: taken at once, no timer needed
        try:
            return await self._send(request)
        finally:
            self._slots.release()

    def _timeouts(
        self,
        read: ODVInput[float],
        write: ODVInput[float],
        connect: ODVInput[float],
        pool: ODVInput[float],
        *,
        media: bool,
    ) -> httpx.Timeout:
        """The call's timeouts, the request's defaults where the call gave none (as PTB)."""
        defaults = self._client.timeout
        default_write = self._media_write_timeout if media else defaults.write
        return httpx.Timeout(
            connect=defaults.connect if isinstance(connect, DefaultValue) else connect,
            read=defaults.read if isinstance(read, DefaultValue) else read,
            write=default_write if isinstance(write, DefaultValue) else write,
            pool=defaults.pool if isinstance(pool, DefaultValue) else pool,
        )

    async def _send(self, request: httpx.Request) -> tuple[int, bytes]:
        """Send through the transport; httpx's errors become PTB's, as in HTTPXRequest."""
        try:
            response = await self._transport.handle_async_request(request)
            try:
                body = await response.aread()
            finally:
                await response.aclose()
        except httpx.TimeoutException as error:
            raise TimedOut from error
        except httpx.HTTPError as error:
            raise NetworkError(f"httpx.{error.__class__.__name__}: {error}") from error
        return response.status_code, body

    async def _wait_for_slot(self) -> None:
        """Wait for a slot as long as httpx's pool timeout would, then give up."""
        try:
            async with asyncio.timeout(self._wait_limit):
                await self._slots.acquire()
        except TimeoutError as error:
            # What httpx's own pool timeout becomes in PTB, so callers retry as they would.
            raise TimedOut("Pool timeout: all connections are busy") from error
