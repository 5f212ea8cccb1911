"""Slow and numerous clients cannot starve the webhook receiver.

aiohttp has no time limit for a request's headers: a client that opens a connection and
sends its headers a byte at a time (slowloris) holds a file descriptor for as long as it
likes, and a thousand of them stop every delivery. `GuardedFactory` wraps aiohttp's protocol
factory (`web.Server`, which aiohttp's low-level server documentation passes to
`loop.create_server` the same way):

- at most `limit` connections at once: past it, the connection quiet for longest makes room
  (when it has been quiet a second or more), or else the new one is closed;
- each connection must finish its first request's headers within `header_seconds`.

After the first request, aiohttp's keep-alive time-out (set short by the receiver) closes
idle connections.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

logger = logging.getLogger(__name__)
END_OF_HEADERS = b"\r\n\r\n"
LOG_EVERY_SECONDS = 10.0
# A connection quiet this long may be closed to make room for a new one.
EVICT_QUIET_SECONDS = 1.0


class GuardedFactory:
    """A protocol factory that bounds connections and the time to send headers."""

    def __init__(
        self, factory: Callable[[], asyncio.Protocol], *, limit: int, header_seconds: float
    ) -> None:
        """Wrap aiohttp's factory."""
        self._factory = factory
        self.limit = limit
        self.header_seconds = header_seconds
        self._open: set[_GuardedProtocol] = set()
        self._closed = 0
        self._logged_at = float("-inf")

    @property
    def live(self) -> int:
        """Connections open now."""
        return len(self._open)

    def admit(self, protocol: _GuardedProtocol) -> bool:
        """Count a new connection; False when there is no room for it."""
        if len(self._open) >= self.limit:
            quietest = min(self._open, key=lambda other: other.last_active)
            if asyncio.get_running_loop().time() - quietest.last_active < EVICT_QUIET_SECONDS:
                self.closed_one("too many connections")
                return False
            self.closed_one("quiet connection closed for a new one")
            quietest.abort()
        self._open.add(protocol)
        return True

    def forget(self, protocol: _GuardedProtocol) -> None:
        """A connection closed."""
        self._open.discard(protocol)

    def __call__(self) -> _GuardedProtocol:
        """A new connection's protocol."""
        return _GuardedProtocol(self._factory(), self)

    def closed_one(self, why: str) -> None:
        """Count a connection closed by the guard; log the count now and then, not each."""
        self._closed += 1
        now = asyncio.get_running_loop().time()
        if now - self._logged_at >= LOG_EVERY_SECONDS:
            logger.warning("Closed %d webhook connection(s): %s", self._closed, why)
            self._closed, self._logged_at = 0, now


class _GuardedProtocol(asyncio.Protocol):
    """aiohttp's protocol, with the guard's two limits around it."""

    def __init__(self, inner: asyncio.Protocol, guard: GuardedFactory) -> None:
        """Wrap one connection's protocol."""
        self._inner = inner
        self._guard = guard
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._tail = b""
        self.last_active = asyncio.get_running_loop().time()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Count the connection; close it at once past the limit, else start its clock."""
        self._transport = cast(asyncio.Transport, transport)  # a TCP connection
        self._inner.connection_made(transport)
        if not self._guard.admit(self):
            self._transport.abort()
            return
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._guard.header_seconds, self._too_slow)

    def abort(self) -> None:
        """Close the connection at once."""
        if self._transport is not None:
            self._transport.abort()

    def _too_slow(self) -> None:
        """The headers did not come in time."""
        if self._transport is not None and not self._transport.is_closing():
            self._guard.closed_one("headers not sent in time")
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        """Pass the bytes on; stop the clock once the first headers are complete."""
        self.last_active = asyncio.get_running_loop().time()
        if self._timer is not None:
            seen = self._tail + data
            if END_OF_HEADERS in seen:
                self._timer.cancel()
                self._timer = None
            self._tail = seen[-3:]
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        """Pass it on."""
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        """Uncount the connection and pass it on."""
        self._guard.forget(self)
        if self._timer is not None:
            self._timer.cancel()
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        """Pass it on."""
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        """Pass it on."""
        self._inner.resume_writing()

    def __getattr__(self, name: str) -> Any:
        """Anything else is the inner protocol's."""
        return getattr(self._inner, name)
