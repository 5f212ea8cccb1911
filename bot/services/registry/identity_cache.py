"""A short-lived cache of who each sender is, so the access gate does not query on every update."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from bot.services.registry.contacts import Identity


class IdentityCache:
    """Identities by user id, kept `ttl` seconds and dropped at once on any change in-process.

    Changes made by another process (`binhdan grant`, a registration on another webhook
    worker) bump the shared `identities` counter; every process drops its cache within
    LEADER_CHECK_SECONDS of it (bot/runtime.py). The TTL remains a backstop.
    """

    def __init__(
        self, ttl: float = 30.0, size: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """An empty cache holding at most `size` users."""
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._entries: OrderedDict[int, tuple[float, Identity]] = OrderedDict()

    def get(self, user_id: int) -> Identity | None:
        """The cached identity, if still fresh."""
        entry = self._entries.get(user_id)
        if entry is None or entry[0] < self._clock():
            self._entries.pop(user_id, None)
            return None
        return entry[1]

    def put(self, identity: Identity) -> None:
        """Remember an identity; the oldest entries go first when full."""
        self._entries[identity.user_id] = (self._clock() + self._ttl, identity)
        self._entries.move_to_end(identity.user_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def forget(self, *user_ids: int) -> None:
        """Drop users whose role, unit or status just changed (all of them when none given)."""
        if not user_ids:
            self._entries.clear()
        for user_id in user_ids:
            self._entries.pop(user_id, None)
