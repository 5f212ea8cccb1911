"""Asks made together, answered together: one database round for many waiting callers."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Coalescer(Generic[K, V]):
    """Loads every key asked for within one turn of the event loop with one call.

    A getUpdates batch starts one task per chat in the same turn, and after a restart each
    asks the database about its sender (who they are, their drafts). One query for all of
    them costs about what one query for one of them costs; `load_many` gets the keys and
    returns a value for each.
    """

    def __init__(self, load_many: Callable[[list[K]], Awaitable[Mapping[K, V]]]) -> None:
        """Nothing asked yet."""
        self._load_many = load_many
        # One future per caller, so a caller cancelled does not cancel the others' answer.
        self._waiting: dict[K, list[asyncio.Future[V]]] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def load(self, key: K) -> V:
        """The value for `key`, loaded with the other keys asked for in this turn."""
        loop = asyncio.get_running_loop()
        if not self._waiting:
            # A fresh context: the batch serves many callers, and must not carry the first
            # one's (a commune officer's narrowing would hide the others' rows).
            loop.call_soon(self._dispatch, context=contextvars.Context())
        future: asyncio.Future[V] = loop.create_future()
        self._waiting.setdefault(key, []).append(future)
        return await future

    def _dispatch(self) -> None:
        """Send the keys gathered so far off as one batch; later asks start the next one."""
        batch, self._waiting = self._waiting, {}
        task = asyncio.create_task(self._answer(batch), name="coalesced-load")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _answer(self, batch: dict[K, list[asyncio.Future[V]]]) -> None:
        """Load the batch and give each caller its value, or the error to all of them."""
        waiting = [(key, future) for key, futures in batch.items() for future in futures]
        try:
            found = await self._load_many(list(batch))
            answers = [(future, found[key]) for key, future in waiting]
        except asyncio.CancelledError:
            for _, future in waiting:
                future.cancel()
            raise
        except Exception as error:
            for _, future in waiting:
                if not future.done():
                    future.set_exception(error)
            return
        for future, value in answers:
            if not future.done():
                future.set_result(value)
