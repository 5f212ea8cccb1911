"""The send budget: global spacing, per-chat spacing, and a global pause after a 429."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from telegram.error import RetryAfter

from bot.telegram.outbox.ratelimit import FloodRateLimiter, Gcra, Limits


def test_gcra_spaces_slots_and_allows_burst() -> None:
    strict = Gcra(interval=1.0)
    assert [strict.reserve(0.0) for _ in range(3)] == [0.0, 1.0, 2.0]
    bursty = Gcra(interval=1.0, burst=3)
    assert [bursty.reserve(0.0) for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]


async def _send_all(limiter: FloodRateLimiter, chats: list[int]) -> list[tuple[int, float]]:
    """Push one sendMessage per chat id through the limiter; return (chat, time sent)."""
    sent: list[tuple[int, float]] = []

    async def callback(chat_id: int) -> bool:
        sent.append((chat_id, time.monotonic()))
        return True

    await asyncio.gather(
        *(
            limiter.process_request(callback, (chat,), {}, "sendMessage", {"chat_id": chat}, None)
            for chat in chats
        )
    )
    return sent


async def test_private_chat_gets_at_least_interval_between_messages() -> None:
    limiter = FloodRateLimiter(Limits(per_second=1000, chat_interval=0.2))
    sent = await _send_all(limiter, [5, 5, 5])
    times = [t for _, t in sent]
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(times))


async def test_waiting_chat_does_not_hold_back_others() -> None:
    limiter = FloodRateLimiter(Limits(per_second=1000, chat_interval=0.5))
    sent = await _send_all(limiter, [1, 1, 2, 3])
    order = [chat for chat, _ in sent]
    assert order.index(2) < order.index(1, 1) and order.index(3) < order.index(1, 1)


async def test_global_rate_is_kept() -> None:
    limiter = FloodRateLimiter(Limits(per_second=50, chat_interval=0))
    started = time.monotonic()
    await _send_all(limiter, list(range(1, 26)))
    assert time.monotonic() - started >= 24 / 50 - 0.02


async def test_retry_after_pauses_everyone_then_retries() -> None:
    limiter = FloodRateLimiter(Limits(per_second=1000, chat_interval=0))
    calls: list[float] = []

    async def flaky(**_: Any) -> bool:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RetryAfter(1)
        return True

    started = time.monotonic()
    result = await limiter.process_request(flaky, (), {}, "sendMessage", {"chat_id": 9}, None)
    assert result is True
    assert len(calls) == 2 and calls[1] - started >= 0.99
    assert limiter.retries_after_429 == 1


async def test_calls_without_chat_are_not_throttled() -> None:
    limiter = FloodRateLimiter(Limits(per_second=1, chat_interval=10))
    started = time.monotonic()
    for _ in range(5):
        await limiter.process_request(
            lambda: asyncio.sleep(0, True), (), {}, "answerCallbackQuery", {}, None
        )
    assert time.monotonic() - started < 0.5


def test_sliding_window_counts_actual_times() -> None:
    from bot.telegram.outbox.ratelimit import SlidingWindow

    window = SlidingWindow(limit=3, span=1.0)
    for t in (0.0, 0.1, 0.2):
        assert window.wait_time(t) == 0.0
        window.add(t)
    assert window.wait_time(0.5) == 0.5
    assert window.wait_time(1.0) == 0.0


async def test_stall_does_not_release_a_burst() -> None:
    limiter = FloodRateLimiter(Limits(per_second=50, chat_interval=0))
    sent = await _send_all(limiter, list(range(1, 31)))
    times = sorted(t for _, t in sent)
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.6 / 50 - 0.002
