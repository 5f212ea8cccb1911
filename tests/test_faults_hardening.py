"""Issue 13's fault tests: stranded outcomes (R12), one flooding chat beside a head (R13)."""

from __future__ import annotations

import asyncio
import logging
import math
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import models.db
from bot.app import build_application, polling
from bot.sandbox.client import SandboxClient
from bot.services.maintenance.backup import sqlite_path
from bot.texts import translator
from models import Delivery, DeliveryStatus
from tests.conftest import SettingsFactory
from tests.helpers import register_many, reports_of
from tests.test_faults import _all_sent, _per_chat, _queue

SessionFactory = async_sessionmaker[AsyncSession]


async def _sending(factory: SessionFactory) -> int:
    async with factory() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status == DeliveryStatus.SENDING)
        )
    return int(count or 0)


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    """A connection holding SQLite's write lock until it rolls back."""
    holder = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


@pytest.mark.sqlite_only("holds SQLite's write lock past its busy timeout")
async def test_r12_outcomes_survive_a_lock_held_past_the_busy_timeout(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    users = await register_many(session_factory, client, 6, 940_000)
    # The bot's connections give up on a lock after 0.2 s instead of 15 s.
    monkeypatch.setattr(models.db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    caplog.set_level(logging.WARNING, logger="bot.telegram.outbox.dispatcher")
    async with polling(build_application(make_settings())):
        await client.set_faults([], latency=1.0)
        await _queue(session_factory)
        for _ in range(1000):
            if await _sending(session_factory) >= len(users) // 2:
                break
            await asyncio.sleep(0.01)
        # The sends are in flight (1 s each): their outcomes arrive while the lock is held.
        # Taken in a thread: waiting for the lock on the event loop would stop the very bot
        # transaction it waits for (a deadlock until sqlite3's own timeout).
        holder = await asyncio.to_thread(_hold_write_lock, sqlite_path(db_url))
        try:
            await asyncio.sleep(2.0)  # every flush meanwhile fails past the busy timeout
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        await _all_sent(session_factory, len(users), timeout=30)
    per_chat = await _per_chat(client)
    assert [per_chat[user] for user in users] == [1] * len(users), "a delivery was sent twice"
    assert await _sending(session_factory) == 0, "a delivery was stranded in 'sending'"
    assert "Could not record" in caplog.text, "the lock did not hit a flush"
    assert "Recorded" in caplog.text


STRANGER = 950_001
HEAD = 950_100


async def test_r13_a_flooding_stranger_does_not_hold_up_a_head(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    [head] = await register_many(session_factory, client, 1, HEAD)
    app = build_application(make_settings(update_concurrency=2, user_burst=8))
    t = translator("vi")
    async with polling(app):
        started = time.time()
        for i in range(60):
            await client.send(STRANGER, f"xin chào {i}")
        # Telegram's dates are whole seconds: the flood spans this many of them.
        seconds = math.floor(time.time()) - math.floor(started)
        [reply] = await client.converse(head, "/baocao 12", timeout=10)
        assert reply["text"].startswith("✅")
        await asyncio.sleep(1.0)
    to_stranger = [e for e in await client.events(STRANGER) if e["method"] == "sendMessage"]
    texts = Counter(e["text"] for e in to_stranger)
    assert texts[t.plain("access.too_fast")] == 1, "one notice per flood episode"
    settings = app.bot_data.settings
    # The burst, then one message per second the flood lasted; the other 50-odd are dropped.
    budget = settings.user_burst + math.ceil(seconds * settings.user_rate_per_second)
    assert len(to_stranger) <= 1 + budget, "the flood was answered"


@pytest.mark.soak
async def test_r13_soak_floods_with_faults_beside_reporting_heads(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    """Three strangers flood 300 messages each while 502s hit 10 % of sends; heads still report."""
    heads = {
        code: (await register_many(session_factory, client, 1, 951_000 + i, code))[0]
        for i, code in enumerate(["T01", "T02", "B01", "CA"])
    }
    strangers = [952_001, 952_002, 952_003]
    await client.set_faults([{"method": "sendMessage", "status": 502, "rate": 0.1}])
    app = build_application(make_settings(send_retry_base_seconds=0.05, user_burst=8))
    async with polling(app):
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.gather(
            *(client.send(user, f"spam {i}") for user in strangers for i in range(300))
        )
        spam_seconds = loop.time() - started

        async def report(code: str, user: int) -> None:
            # A reply lost to a 502 is not retried (only the outbox is), so the stored report,
            # not the echo, is what must never be missing.
            for step in range(1, 11):
                await client.send(user, f"/baocao {step}")
                for _ in range(300):
                    stored = await reports_of(session_factory, code)
                    if stored and stored[-1].enrolled == step:
                        break
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError(f"head {user} of {code}: report {step} never stored")
                await asyncio.sleep(0.5)  # a person, not a script

        await asyncio.gather(*(report(code, user) for code, user in heads.items()))
    settings = app.bot_data.settings
    # The budget: the burst, what refilled while the spam was being typed (the throttle reads
    # Telegram's whole-second dates, so up to one more second than measured), a notice per
    # episode.
    refill = (math.ceil(spam_seconds) + 1) * settings.user_rate_per_second
    budget = settings.user_burst + 2 * (1 + refill)
    for stranger in strangers:
        sent = [e for e in await client.events(stranger) if e["method"] == "sendMessage"]
        assert len(sent) <= budget < 100, (len(sent), spam_seconds)
