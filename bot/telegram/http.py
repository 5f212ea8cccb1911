"""The Bot API transport: PTB's HTTPX request, with requests queued before httpx, not in it.

With many chats served at once (UPDATE_CONCURRENCY), most requests wait for one of the few
keep-alive connections. httpcore's pool re-scans every waiting request against every connection
(and asks each idle socket whether the server closed it, a system call) each time a request
starts or ends, so its bookkeeping grows with connections × waiting requests and was the largest
single cost of answering a report (docs/benchmarks.md, P2). Waiting on a semaphore in front of
the pool instead costs nothing per waiter; httpx only ever sees requests it can send at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.error import TimedOut
from telegram.request import HTTPXRequest


class BoundedRequest(HTTPXRequest):
    """At most `connection_pool_size` requests inside httpx; the others wait their turn here."""

    def __init__(self, connection_pool_size: int, pool_timeout: float, **kwargs: Any) -> None:
        """One slot per connection; a request that waits longer than `pool_timeout` times out."""
        super().__init__(
            connection_pool_size=connection_pool_size, pool_timeout=pool_timeout, **kwargs
        )
        self._slots = asyncio.Semaphore(connection_pool_size)
        self._wait_limit = pool_timeout

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """Take a slot (as httpx's pool timeout would bound the wait), then send."""
        try:
            async with asyncio.timeout(self._wait_limit):
                await self._slots.acquire()
        except TimeoutError as error:
            # What httpx's own pool timeout becomes in PTB, so callers retry as they would.
            raise TimedOut("Pool timeout: all connections are busy") from error
        try:
            return await super().do_request(*args, **kwargs)
        finally:
            self._slots.release()
