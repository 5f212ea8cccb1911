"""A per-user token bucket in front of every handler: floods are dropped, with one notice.

Each user may send `rate` updates per second on average, in bursts of `burst`. Beyond that,
updates are *dropped*, not delayed: delaying would only queue the flood and keep its chat's
slot busy, and a person who really typed that fast gets one "Bạn gửi quá nhanh" notice per
episode (not one per dropped message, which would itself be a flood of replies) and can send
again a second later. An episode ends only when the bucket is full again (the user was quiet):
a flood that goes on earns a token each second, and those passes must not each open a new
episode with a new notice. The clock is the time the user *sent* the message (Telegram's
`message.date`) when there is one, so a backlog that arrives at once after the bot was down
is not mistaken for a flood.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

# Buckets that are full again (idle users) are forgotten every so many checks.
PRUNE_EVERY = 4096


class Verdict(enum.Enum):
    """What to do with one update."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    NOTICE = "notice"  # drop it, and tell the user once
    DROP = "drop"  # drop it silently (already told in this episode)


@dataclass
class _Bucket:
    """One user's tokens at the moment `at`, and whether this episode was already told."""

    tokens: float
    at: float
    told: bool = False


class UserThrottle:
    """Token buckets per user id."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.time) -> None:
        """`rate` tokens per second, at most `burst` saved up."""
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}
        self._checks = 0

    def check(self, user_id: int, sent_at: float | None = None) -> Verdict:
        """Spend one of the user's tokens, or say how to drop the update."""
        now = self._clock() if sent_at is None else sent_at
        self._checks += 1
        if self._checks % PRUNE_EVERY == 0:
            self._prune(now)
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(float(self.burst), now)
        if now > bucket.at:
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
        if bucket.tokens >= self.burst:
            bucket.told = False  # quiet long enough to refill: the episode is over
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.PASS
        if bucket.told:
            return Verdict.DROP
        bucket.told = True
        return Verdict.NOTICE

    def _prune(self, now: float) -> None:
        """Forget users whose bucket has refilled: they are as good as new."""
        full = [
            user
            for user, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * self.rate >= self.burst
        ]
        for user in full:
            del self._buckets[user]
