"""The Bot API transport: PTB's HTTPX request, with requests queued before the connections.

With many chats served at once (UPDATE_CONCURRENCY), most requests wait for one of the few
keep-alive connections. httpcore's pool re-scans every waiting request against every connection
each time a request starts or ends, so its bookkeeping grows with connections × waiting
requests and was the largest single cost of answering a report (docs/benchmarks.md, P2).
Waiting on a semaphore instead costs nothing per waiter, and a request let through always
finds a connection free.

It then goes to a keep-alive connection of httpcore's directly (bot/telegram/connections.py):
httpx's client, request and response objects, and httpcore's pool, are layers the Bot API does
not need. The connections are asyncio's own (bot/telegram/network.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import httpcore
import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.telegram.connections import Connections
from bot.telegram.network import AsyncioBackend

# PTB marks a timeout the caller did not give with its DefaultValue class, which lives in a
# private module: its public sentinel's class is the same one. A timeout argument is a number,
# None (no limit), or that marker (PTB's ODVInput, also private).
NotGiven = type(BaseRequest.DEFAULT_NONE)
Timeout = Any

KEEPALIVE_SECONDS = 5.0  # httpx's default
FORM = b"application/x-www-form-urlencoded"
# What httpx turns into its TimeoutException and its other errors (PTB: TimedOut, NetworkError).
TIMEOUTS = (httpcore.TimeoutException,)
FAILURES = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.ProxyError,
    httpcore.UnsupportedProtocol,
)


@functools.cache
def _verifying_context() -> ssl.SSLContext:
    """The TLS context httpx would make (certificates verified), loaded once and shared."""
    return httpx.create_ssl_context()


@functools.lru_cache(maxsize=256)
def _endpoint(url: str) -> tuple[httpcore.URL, bytes]:
    """A Bot API method's URL as httpcore takes it, and its Host header, parsed once."""
    parsed = httpx.URL(url)
    target = httpcore.URL(
        scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path
    )
    return target, parsed.netloc


def _form_request(
    method: str, url: str, data: dict[str, Any] | None, user_agent: str, timeouts: httpx.Timeout
) -> httpcore.Request:
    """A call without files: its parameters as a form, as httpx would encode them."""
    target, host = _endpoint(url)
    headers = [(b"Host", host), (b"User-Agent", user_agent.encode())]
    body = b""
    if method != "GET" or data:  # a file download is a bare GET
        body = urllib.parse.urlencode(data or {}, doseq=True).encode()
        headers += [(b"Content-Length", str(len(body)).encode()), (b"Content-Type", FORM)]
    return httpcore.Request(
        method, target, headers=headers, content=body, extensions={"timeout": timeouts.as_dict()}
    )


def _upload_request(
    method: str, url: str, data: RequestData, user_agent: str, timeouts: httpx.Timeout
) -> httpcore.Request:
    """A call with files: httpx encodes the multipart body (streamed, not read into memory)."""
    outgoing = httpx.Request(
        method,
        url,
        headers={"User-Agent": user_agent},
        files=data.multipart_data,
        data=data.json_parameters,
    )
    target, _ = _endpoint(url)
    assert isinstance(outgoing.stream, httpx.AsyncByteStream)
    return httpcore.Request(
        method,
        target,
        headers=outgoing.headers.raw,
        content=outgoing.stream,
        extensions={"timeout": timeouts.as_dict()},
    )


def proxied(proxy: object) -> bool:
    """Whether requests must go through a proxy: given, or set in the environment."""
    environment = urllib.request.getproxies()
    return proxy is not None or any(environment.get(scheme) for scheme in ("https", "http", "all"))


class BoundedRequest(HTTPXRequest):
    """PTB's HTTPX request, sent straight to a keep-alive connection, one per connection.

    Requests beyond `connection_pool_size` wait their turn here. Each request goes to a free
    connection (bot/telegram/connections.py) rather than through `AsyncClient.request`: the
    Bot API needs none of httpx's layers (cookies, redirects, authentication, URL merging, its
    request and response objects and their decoders), which together cost more than sending
    on every message (docs/benchmarks.md, P2). The form is encoded as httpx encodes it,
    uploads by httpx itself. Timeouts, errors and the client's life cycle are PTB's, as in
    `HTTPXRequest.do_request`; PTB's httpx client sends everything when a proxy is set.
    """

    def __init__(
        self,
        connection_pool_size: int,
        pool_timeout: float,
        ssl_context: ssl.SSLContext | None = None,
        **kwargs: Any,
    ) -> None:
        """One slot per connection; a request that waits longer than `pool_timeout` times out.

        Behind a proxy (`proxy=`, or HTTPS_PROXY/HTTP_PROXY/ALL_PROXY in the environment)
        requests go through httpx's client as PTB sends them, so that httpx applies it.
        """
        self._connections: Connections | None = None
        if not proxied(kwargs.get("proxy")):
            context = ssl_context or _verifying_context()
            self._connections = Connections(
                connection_pool_size, context, KEEPALIVE_SECONDS, AsyncioBackend()
            )
            # PTB's httpx client stays for its life cycle and timeouts, and sends nothing; its
            # transport shares the TLS context rather than loading the certificates again.
            kwargs["httpx_kwargs"] = {"transport": httpx.AsyncHTTPTransport(verify=context)}
        super().__init__(
            connection_pool_size=connection_pool_size, pool_timeout=pool_timeout, **kwargs
        )
        self._slots = asyncio.Semaphore(connection_pool_size)
        self._wait_limit = pool_timeout

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        write_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        connect_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        pool_timeout: Timeout = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Take a slot (as httpx's pool timeout would bound the wait), then send."""
        wait_limit = self._wait_limit if isinstance(pool_timeout, NotGiven) else pool_timeout
        if self._connections is None:
            async with self._slot(wait_limit):
                return await super().do_request(
                    url,
                    method,
                    request_data,
                    read_timeout,
                    write_timeout,
                    connect_timeout,
                    pool_timeout,
                )
        if self._client.is_closed:
            raise RuntimeError("This HTTPXRequest is not initialized!")
        media = request_data is not None and bool(request_data.multipart_data)
        timeouts = self._timeouts(
            read_timeout, write_timeout, connect_timeout, pool_timeout, media=media
        )
        if request_data is not None and media:
            request = _upload_request(method, url, request_data, self.USER_AGENT, timeouts)
        else:
            data = request_data.json_parameters if request_data else None
            request = _form_request(method, url, data, self.USER_AGENT, timeouts)
        async with self._slot(wait_limit):
            if self._client.is_closed:  # shut down while this request waited for its slot
                raise RuntimeError("This HTTPXRequest is not initialized!")
            return await self._send(request, self._connections)

    @contextlib.asynccontextmanager
    async def _slot(self, wait_limit: float | None) -> AsyncIterator[None]:
        """Hold one of the slots while the block runs (waiting `wait_limit` s at most)."""
        if self._slots.locked():
            await self._wait_for_slot(wait_limit)
        else:
            await self._slots.acquire()  # free: taken at once, no timer needed
        try:
            yield
        finally:
            self._slots.release()

    def _timeouts(
        self,
        read: Timeout,
        write: Timeout,
        connect: Timeout,
        pool: Timeout,
        *,
        media: bool,
    ) -> httpx.Timeout:
        """The call's timeouts, the request's defaults where the call gave none (as PTB)."""
        defaults = self._client.timeout
        default_write = self._media_write_timeout if media else defaults.write
        return httpx.Timeout(
            connect=defaults.connect if isinstance(connect, NotGiven) else connect,
            read=defaults.read if isinstance(read, NotGiven) else read,
            write=default_write if isinstance(write, NotGiven) else write,
            pool=defaults.pool if isinstance(pool, NotGiven) else pool,
        )

    @staticmethod
    async def _send(request: httpcore.Request, connections: Connections) -> tuple[int, bytes]:
        """Send on a connection; httpcore's errors become PTB's, as httpx's do in HTTPXRequest."""
        try:
            return await connections.send(request)
        except TIMEOUTS as error:
            raise TimedOut from error
        except FAILURES as error:
            raise NetworkError(f"httpcore.{error.__class__.__name__}: {error}") from error

    async def initialize(self) -> None:
        """Open PTB's client (again, after a shutdown) and keep connections again."""
        await super().initialize()
        if self._connections is not None:
            self._connections.reopen()

    async def shutdown(self) -> None:
        """Close PTB's client and the idle connections."""
        await super().shutdown()
        if self._connections is not None:
            await self._connections.aclose()

    async def _wait_for_slot(self, wait_limit: float | None) -> None:
        """Wait for a slot as long as httpx's pool timeout would, then give up."""
        try:
            async with asyncio.timeout(wait_limit):
                await self._slots.acquire()
        except TimeoutError as error:
            # What httpx's own pool timeout becomes in PTB, so callers retry as they would.
            raise TimedOut("Pool timeout: all connections are busy") from error
