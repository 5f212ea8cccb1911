"""Where a bot's CPU time goes: a sampling profile by process CPU time, sorted into parts.

`SIGPROF` fires each time the process has used another slice of CPU (any thread), and the
handler, which Python runs on the main thread, records the main thread's stack. Samples taken
while the main thread waits in the event loop's `select` are CPU spent by other threads (the
SQLite worker) or by the kernel for the loop. Resolution is the kernel's tick (~4 ms), so a
run of a few seconds gives several hundred samples: shares, not exact times.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

INTERVAL_SECONDS = 0.001

Stack = tuple[str, ...]

# (part, markers): a sample belongs to the first part one of whose markers appears in its
# stack ("file:function", matched as a substring). Order matters: parsing Telegram's objects
# is counted apart from the HTTP exchange it happens in.
PARTS: list[tuple[str, tuple[str, ...]]] = [
    (
        "Telegram objects: reading updates and answers, writing keyboards (PTB)",
        ("_telegramobject.py:", "de_json"),
    ),
    (
        "HTTP to the Bot API (PTB request, httpx, httpcore, sockets)",
        ("telegram/_bot.py:_post", "telegram/request/", "httpx/", "httpcore/", "h11/"),
    ),
    ("database on the event loop (SQLAlchemy, aiosqlite)", ("sqlalchemy/", "aiosqlite/")),
    (
        "our code: gate, handlers, parsing, texts, drafts, inbox",
        ("/handlers/", "/bot/", "/models/", "/scheduler/"),
    ),
    ("PTB dispatch (handlers, conversations, context)", ("telegram/ext/",)),
    ("event loop waiting: other threads (SQLite) and the kernel", ("selectors.py:select",)),
    ("event loop and tasks (asyncio)", ("asyncio/",)),
]
OTHER = "other"


class CpuSampler:
    """Count the main thread's stacks, one sample per INTERVAL_SECONDS of process CPU."""

    def __init__(self) -> None:
        """No samples yet."""
        self.stacks: Counter[Stack] = Counter()

    def _sample(self, _signal: int, frame: FrameType | None) -> None:
        """Record where the main thread is."""
        names = []
        while frame is not None:
            names.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")
            frame = frame.f_back
        self.stacks[tuple(names)] += 1

    @contextmanager
    def sampling(self) -> Iterator[None]:
        """Sample while the block runs."""
        previous = signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, INTERVAL_SECONDS, INTERVAL_SECONDS)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0, 0)
            signal.signal(signal.SIGPROF, previous)

    def shares(self) -> dict[str, float]:
        """Each part's share of the samples (0–1), OTHER included."""
        counts: Counter[str] = Counter()
        for stack, count in self.stacks.items():
            counts[part_of(stack)] += count
        total = sum(counts.values()) or 1
        return {part: counts[part] / total for part in [*(p for p, _ in PARTS), OTHER]}


def part_of(stack: Stack) -> str:
    """The part a sample belongs to (see PARTS)."""
    for part, markers in PARTS:
        if any(marker in frame for frame in stack for marker in markers):
            return part
    return OTHER
