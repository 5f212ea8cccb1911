"""The durable inbox: every received update is stored before it is acknowledged (R11)."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update

from bot.sandbox import Sandbox
from bot.sandbox.client import SandboxClient
from bot.services.maintenance import inbox
from bot.telegram.context import BotApplication
from models import ReceivedUpdate, Report, UpdateStatus
from models.base import utcnow
from models.db import Database
from tests.helpers import register_many
from tests.test_faults import _bot_env

SessionFactory = async_sessionmaker[AsyncSession]
UNITS = {"T01": 930_001, "T02": 930_002, "B01": 930_003, "CA": 930_004}
PER_HEAD = 25
ECHO = re.compile(r"^✅.*?: (\d+) người đăng ký")


async def _count(factory: SessionFactory, *where: object) -> int:
    async with factory() as session:
        query = select(func.count()).select_from(ReceivedUpdate)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(await session.scalar(query) or 0)


async def _echoes(client: SandboxClient) -> Counter[tuple[int, int]]:
    """(chat, figure) of every report echo the bot sent."""
    found: Counter[tuple[int, int]] = Counter()
    for event in await client.events():
        match = ECHO.match(event.get("text") or "") if event["method"] == "sendMessage" else None
        if match:
            found[(int(event["chat_id"]), int(match[1]))] += 1
    return found


async def test_updates_are_stored_marked_done_and_redelivery_is_harmless(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [user] = await register_many(session_factory, client, 1, 931_000)
    [reply] = await client.converse(user, "/baocao 7")
    assert reply["text"].startswith("✅")
    for _ in range(50):
        if await _count(session_factory, ReceivedUpdate.status == UpdateStatus.DONE) >= 1:
            break
        await asyncio.sleep(0.05)
    async with session_factory() as session:
        row = (await session.scalars(select(ReceivedUpdate))).one()
    assert row.status == UpdateStatus.DONE and row.chat_key == user
    assert row.processed_at is not None and '"/baocao 7"' in row.payload
    # Telegram delivering the same update again (e.g. after a crash before the acknowledgement).
    again = Update.de_json(__import__("json").loads(row.payload), app.bot)
    after = await client.last_seq()
    await app.bot_data.inbox.store([(again, row.payload)])
    assert await client.events(user, after=after, count=1, wait=1.0) == []
    assert await _count(session_factory) == 1


async def _start(sandbox: Sandbox, db_url: str, cwd: Path) -> asyncio.subprocess.Process:
    env = _bot_env(sandbox, db_url)
    # 25 reports typed in the same second by one head are a test, not a flood.
    env.update({"USER_BURST": "1000", "SEND_CHAT_INTERVAL_SECONDS": "0", "SEND_CHAT_BURST": "100"})
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def kill_and_recover(
    sandbox: Sandbox,
    client: SandboxClient,
    db_url: str,
    factory: SessionFactory,
    cwd: Path,
    *,
    per_head: int,
    kills: int,
    heads: dict[str, int] = UNITS,
) -> tuple[int, int]:
    """Queue `per_head` reports from each head, SIGKILL the bot `kills` times, then let it finish.

    Return (updates stored at the first kill, answers repeated). Asserts every update stored,
    processed, every report stored and answered.
    """
    for code, user in heads.items():
        await register_many(factory, client, 1, user, unit_code=code)
    await client.set_flood(chat_burst=1000)
    for figure in range(1, per_head + 1):
        for user in heads.values():
            await client.send(user, f"/baocao {figure}")
    total = per_head * len(heads)
    stored_at_kill = -1
    for kill in range(kills):
        bot = await _start(sandbox, db_url, cwd)
        answered = sum((await _echoes(client)).values())
        for _ in range(600):
            if sum((await _echoes(client)).values()) > answered:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05 * kill)  # later kills land deeper in the batch
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        if stored_at_kill < 0:
            stored_at_kill = await _count(factory)
    assert sum((await _echoes(client)).values()) < total, "the kills came too late"
    bot = await _start(sandbox, db_url, cwd)
    try:
        for _ in range(2400):
            done = await _count(factory, ReceivedUpdate.status == UpdateStatus.DONE)
            if done == total:
                break
            await asyncio.sleep(0.05)
    finally:
        bot.terminate()
        await bot.wait()
    assert await _count(factory) == total, "an update was never stored"
    assert done == total, "an update was never processed"
    async with factory() as session:
        assert await session.scalar(select(func.count()).select_from(Report)) == total
    echoes = await _echoes(client)
    expected = {(user, figure) for user in heads.values() for figure in range(1, per_head + 1)}
    assert set(echoes) == expected, "a report was never answered"
    return stored_at_kill, sum(count - 1 for count in echoes.values())


async def test_r11_sigkill_with_queued_updates_loses_none(
    sandbox: Sandbox,
    client: SandboxClient,
    db_url: str,
    session_factory: SessionFactory,
    units: None,
    tmp_path: Path,
) -> None:
    stored_at_kill, duplicates = await kill_and_recover(
        sandbox, client, db_url, session_factory, tmp_path, per_head=PER_HEAD, kills=1
    )
    total = PER_HEAD * len(UNITS)
    print(
        f"R11: {stored_at_kill} stored at the kill; after the restart {total} stored, "
        f"{total} answered, {duplicates} answered twice"
    )
    # At-least-once: only updates in flight at the kill (processed, not yet marked) repeat.
    assert duplicates <= len(UNITS), f"{duplicates} answers repeated"


@pytest.mark.soak
async def test_r11_soak_three_kills_with_400_queued_updates(
    sandbox: Sandbox,
    client: SandboxClient,
    db_url: str,
    session_factory: SessionFactory,
    units: None,
    tmp_path: Path,
) -> None:
    # Công an xã has 40 adults: 130 rising figures fit the three thôn/buôn only.
    heads = {code: user for code, user in UNITS.items() if code != "CA"}
    _, duplicates = await kill_and_recover(
        sandbox, client, db_url, session_factory, tmp_path, per_head=130, kills=3, heads=heads
    )
    assert duplicates <= 3 * len(heads)


async def test_a_reused_update_id_with_new_content_is_a_new_update(db: Database) -> None:
    """A sandbox restarted on a kept database (or Telegram after a quiet week) reuses ids."""
    first = inbox.Incoming(1, 7, '{"update_id": 1, "message": {"text": "một"}}')
    assert await inbox.store(db, first, utcnow())
    assert not await inbox.store(db, first, utcnow()), "a redelivery was stored twice"
    await inbox.mark_done(db, [1], utcnow())
    other = inbox.Incoming(1, 7, '{"update_id": 1, "message": {"text": "hai"}}')
    assert await inbox.store(db, other, utcnow())
    [pending] = await inbox.unfinished(db)
    assert pending.payload == other.payload


async def test_a_batch_is_stored_once_and_a_reused_id_within_it_keeps_the_newest(
    db: Database,
) -> None:
    def incoming(update_id: int, text: str) -> inbox.Incoming:
        return inbox.Incoming(update_id, 7, f'{{"update_id": {update_id}, "text": "{text}"}}')

    first = [incoming(1, "một"), incoming(2, "hai")]
    assert await inbox.store_many(db, first, utcnow()) == [1, 2]
    assert await inbox.store_many(db, first, utcnow()) == [], "a redelivery was stored twice"
    await inbox.mark_done(db, [1, 2], utcnow())
    # Id 3 twice with other contents in one batch (ids restarted): the later one stands.
    batch = [incoming(3, "ba"), incoming(2, "mới"), incoming(3, "bốn")]
    assert await inbox.store_many(db, batch, utcnow()) == [3, 2, 3]
    pending = {row.update_id: row.payload for row in await inbox.unfinished(db)}
    assert pending == {2: batch[1].payload, 3: batch[2].payload}


async def test_a_stop_during_a_done_mark_write_keeps_the_marks(
    db: Database, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer stopped mid-write leaves its marks to `stop`, which writes them."""
    from telegram import Bot

    from bot.telegram.intake.inbox import Inbox

    queue = Inbox(asyncio.Queue())
    await queue.attach(db, Bot(sandbox.config.token, base_url=sandbox.base_url), keep_days=7)
    row = inbox.Incoming(7, 9, '{"update_id": 7}')
    await inbox.store(db, row, utcnow())
    writing = asyncio.Event()
    real_mark_done = inbox.mark_done

    async def slow_mark_done(*args: object) -> None:
        writing.set()
        await asyncio.sleep(10)

    monkeypatch.setattr(inbox, "mark_done", slow_mark_done)
    queue.mark_done(Update(7))
    await asyncio.wait_for(writing.wait(), 5)  # the writer is inside its transaction
    monkeypatch.setattr(inbox, "mark_done", real_mark_done)
    await queue.stop()
    assert await inbox.unfinished(db) == []


def _update(update_id: int, chat: int) -> Update:
    """A text message from a private chat, as a received update."""
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "text": "35",
                "chat": {"id": chat, "type": "private"},
            },
        },
        None,
    )


async def test_a_closed_inbox_stores_but_queues_nothing(db: Database, sandbox: Sandbox) -> None:
    """Once stopping, stored updates wait for the next process instead of a drained queue."""
    from telegram import Bot

    from bot.telegram.intake.inbox import Inbox

    pending: asyncio.Queue[object] = asyncio.Queue()
    queue = Inbox(pending)
    await queue.attach(db, Bot(sandbox.config.token, base_url=sandbox.base_url), keep_days=7)
    routed: list[int | None] = []
    queue.route = routed.append
    queue.close()
    update = _update(51, 9)
    await queue.store([(update, update.to_json())])
    [row] = await inbox.unfinished(db)
    assert await queue.enqueue_stored(row) is False
    assert routed == [] and pending.empty()
    await queue.stop()
