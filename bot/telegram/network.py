"""httpcore's network on asyncio itself: connections whose state the event loop already knows.

httpcore asks every idle connection, each time a request starts or ends, whether the server
closed it. Through its default (anyio) backend each answer is a system call, and every read
and write passes anyio's cancel scopes; on a small machine this was a tenth of the cost of
answering a report (docs/benchmarks.md, P2). Here each connection keeps reading, as asyncio
transports do: bytes or the server's close arrive in the loop, so the answer is a flag.

Only what httpcore's network interface asks for is here: TCP and Unix connections, TLS
upgrade (asyncio's own), reads and writes with timeouts, httpcore's exceptions.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore

# A response larger than this waits in the kernel until httpcore reads (back-pressure).
READ_AHEAD_BYTES = 256 * 1024
# asyncio's TLS transport applies back-pressure only between writes, not within one.
WRITE_CHUNK_BYTES = 64 * 1024


class _Connection(asyncio.Protocol):
    """Bytes and the close as the loop receives them; writes paced by the transport."""

    def __init__(self) -> None:
        """Nothing received yet."""
        self.transport: asyncio.Transport | None = None
        self.received = bytearray()
        self.closed = False
        self.error: BaseException | None = None
        self._arrived: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        """Keep the bytes; stop reading ahead past READ_AHEAD_BYTES."""
        self.received += data
        if len(self.received) > READ_AHEAD_BYTES and self.transport is not None:
            self.transport.pause_reading()
            self._paused = True
        self._wake()

    def eof_received(self) -> bool:
        """The server closed its side: the connection is done."""
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection ended (by either side, or an error)."""
        self.closed = True
        self.error = exc
        self._wake()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_writing(self) -> None:
        """The transport's buffer is full: writers wait."""
        self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        """The transport's buffer drained."""
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self._drained = None

    def _wake(self) -> None:
        """Wake a waiting reader."""
        if self._arrived is not None and not self._arrived.done():
            self._arrived.set_result(None)

    async def wait_for_data(self) -> None:
        """Wait until bytes or the close arrive."""
        if self.received or self.closed:
            return
        self._arrived = asyncio.get_running_loop().create_future()
        try:
            await self._arrived
        finally:
            self._arrived = None

    def take(self, max_bytes: int) -> bytes:
        """Up to `max_bytes` of what was received (resuming reading once it is taken)."""
        data = bytes(self.received[:max_bytes])
        del self.received[:max_bytes]
        if self._paused and self.transport is not None and not self.received:
            self._paused = False
            self.transport.resume_reading()
        return data

    async def drained(self) -> None:
        """Wait until the transport accepts more."""
        if self._drained is not None:
            await self._drained


@contextmanager
def _mapped(timeout_error: type[Exception], network_error: type[Exception]) -> Iterator[None]:
    """Raise the exceptions httpcore expects for asyncio's (httpx and PTB map them in turn)."""
    try:
        yield
    except TimeoutError as error:
        raise timeout_error(str(error)) from error
    except OSError as error:  # refused, reset, TLS failures (ssl.SSLError) alike
        raise network_error(str(error) or type(error).__name__) from error


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection, as httpcore uses it."""

    def __init__(self, connection: _Connection) -> None:
        """Wrap a connected protocol."""
        assert connection.transport is not None
        self._connection = connection
        self._transport = connection.transport

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """The next bytes, or b"" once the server closed."""
        with _mapped(httpcore.ReadTimeout, httpcore.ReadError):
            async with asyncio.timeout(timeout):
                await self._connection.wait_for_data()
        if not self._connection.received and self._connection.error is not None:
            raise httpcore.ReadError(str(self._connection.error))
        return self._connection.take(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send `buffer`, waiting while the transport's buffer is full."""
        if not buffer:
            return
        view = memoryview(buffer)
        with _mapped(httpcore.WriteTimeout, httpcore.WriteError):
            async with asyncio.timeout(timeout):
                for start in range(0, len(view), WRITE_CHUNK_BYTES):
                    if self._transport.is_closing():
                        raise httpcore.WriteError("connection closed")
                    self._transport.write(view[start : start + WRITE_CHUNK_BYTES])
                    await self._connection.drained()

    async def aclose(self) -> None:
        """Close at once, as httpcore's anyio backend does (no TLS close_notify exchange).

        Waiting for the server's close_notify kept sockets open up to 30 s when it never came.
        """
        self._transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Upgrade to TLS with asyncio's own implementation."""
        loop = asyncio.get_running_loop()
        try:
            with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
                # Our own timer, so that a slow handshake is a time-out (PTB's TimedOut), not
                # the ConnectionAbortedError asyncio's handshake timer would raise.
                async with asyncio.timeout(timeout):
                    secure = await loop.start_tls(
                        self._transport,
                        self._connection,
                        ssl_context,
                        server_hostname=server_hostname,
                        ssl_handshake_timeout=None if timeout is None else timeout + 1,
                    )
        except BaseException:
            self._transport.close()
            raise
        if secure is None:
            raise httpcore.ConnectError("TLS upgrade failed")
        self._connection.transport = secure
        return AsyncioStream(self._connection)

    def get_extra_info(self, info: str) -> Any:
        """What httpcore asks of a connection; "is_readable" without a system call.

        The flag is as fresh as the event loop: a close that arrives while the loop is busy is
        seen at its next turn. httpcore's own check asks the socket instead; a request sent on
        a connection closed in that instant fails as a network error (outbox sends retry).
        """
        if info == "is_readable":
            return bool(self._connection.received) or self._connection.closed
        names = {
            "ssl_object": "ssl_object",
            "client_addr": "sockname",
            "server_addr": "peername",
            "socket": "socket",
        }
        return self._transport.get_extra_info(names[info]) if info in names else None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Connections made by the running event loop."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Open a TCP connection."""
        loop = asyncio.get_running_loop()
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            async with asyncio.timeout(timeout):
                transport, connection = await loop.create_connection(
                    _Connection,
                    host,
                    port,
                    local_addr=(local_address, 0) if local_address else None,
                    happy_eyeballs_delay=0.25,  # as anyio: a dead first address is not fatal
                )
        _apply(transport, socket_options)
        return AsyncioStream(connection)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        """Open a Unix socket connection (a local Bot API server)."""
        loop = asyncio.get_running_loop()
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            async with asyncio.timeout(timeout):
                transport, connection = await loop.create_unix_connection(_Connection, path)
        _apply(transport, socket_options)
        return AsyncioStream(connection)

    async def sleep(self, seconds: float) -> None:
        """Sleep on the loop."""
        await asyncio.sleep(seconds)


def _apply(transport: asyncio.BaseTransport, options: Iterable[Any] | None) -> None:
    """Set socket options httpcore was given (none by default)."""
    sock: socket.socket | None = transport.get_extra_info("socket")
    for option in options or ():
        if sock is not None:
            sock.setsockopt(*option)
