"""Keep-alive connections to the Bot API: the last one freed is the next one used.

`BoundedRequest` (bot/telegram/http.py) lets at most as many requests in at once as there may
be connections, so no request ever waits for one here: a free connection is taken, or a new
one opened. httpcore's pool also queues requests, and at every request's start and end it
re-scans its connections and queue under a lock; with nothing ever queued, that bookkeeping
was a tenth of the CPU of answering a report (docs/benchmarks.md, P2). The connections
themselves (HTTP/1.1, TLS, time-outs, keep-alive expiry) are httpcore's.
"""

from __future__ import annotations

import ssl
import time

import httpcore

# How often idle connections are looked over, to close the ones expired or closed by the server.
SWEEP_SECONDS = 1.0


class Connections:
    """Idle keep-alive connections, newest last; each carries one request at a time."""

    def __init__(
        self,
        limit: int,
        ssl_context: ssl.SSLContext,
        keepalive_expiry: float,
        backend: httpcore.AsyncNetworkBackend,
    ) -> None:
        """At most `limit` connections open; none is opened until a request needs one."""
        self._limit = limit
        self._in_use = 0
        self._ssl_context = ssl_context
        self._keepalive_expiry = keepalive_expiry
        self._backend = backend
        self._idle: list[httpcore.AsyncHTTPConnection] = []
        self._swept_at = time.monotonic()
        self._closed = False

    async def send(self, request: httpcore.Request) -> tuple[int, bytes]:
        """Send on a free connection (or a new one); the status and the whole body."""
        while True:
            # Chosen and counted in use before any await, so that concurrent sends never
            # see the same idle list, nor more connections than the limit.
            connection, stale = self._take(request.url.origin)
            self._in_use += 1
            try:
                await _close(stale)
                response = await connection.handle_async_request(request)
                body = await response.aread()
                await response.aclose()
            except httpcore.ConnectionNotAvailable:
                # The server closed it between our check and the request (nothing was sent).
                await connection.aclose()
                continue
            except BaseException:
                # A cancel (PTB cancels getUpdates at every stop) or a failure, wherever it
                # lands: the connection is closed at once (closing never waits, so a cancel
                # cannot interrupt it) rather than left half-read or counted busy.
                await connection.aclose()
                raise
            finally:
                self._in_use -= 1
            if connection.is_idle() and not self._closed:
                self._idle.append(connection)
            else:
                await connection.aclose()
            return response.status, body

    def _take(
        self, origin: httpcore.Origin
    ) -> tuple[httpcore.AsyncHTTPConnection, list[httpcore.AsyncHTTPConnection]]:
        """A connection for `origin` (the newest idle one that can serve, else a new one).

        Also the idle connections to close: expired, closed by the server, or over the limit.
        """
        stale = self._sweep()
        for index in range(len(self._idle) - 1, -1, -1):
            connection = self._idle[index]
            if connection.can_handle_request(origin):
                del self._idle[index]
                if connection.is_available() and not connection.has_expired():
                    return connection, stale
                stale.append(connection)
        # Idle connections to other addresses (a separate file server) make room first.
        while self._idle and len(self._idle) + self._in_use >= self._limit:
            stale.append(self._idle.pop(0))
        fresh = httpcore.AsyncHTTPConnection(
            origin=origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            network_backend=self._backend,
        )
        return fresh, stale

    def _sweep(self) -> list[httpcore.AsyncHTTPConnection]:
        """Take out the idle connections past their keep-alive or closed by the server.

        Looked over once a second; between sweeps, `_take` checks the one it hands out.
        """
        now = time.monotonic()
        if now - self._swept_at < SWEEP_SECONDS:
            return []
        self._swept_at = now
        stale = [connection for connection in self._idle if connection.has_expired()]
        self._idle = [connection for connection in self._idle if connection not in stale]
        return stale

    async def aclose(self) -> None:
        """Close every idle connection; those in use close when their request ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        await _close(idle)

    def reopen(self) -> None:
        """Keep connections again (the request was initialised again after a shutdown)."""
        self._closed = False


async def _close(connections: list[httpcore.AsyncHTTPConnection]) -> None:
    """Close these connections (each at once: no goodbye is waited for)."""
    for connection in connections:
        await connection.aclose()
