"""Asks made in one turn of the event loop are answered by one load; the senders' lookup."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import SandboxClient
from bot.services.common.batching import Coalescer
from bot.services.registry.contacts import choose_language, who_are
from models import Contact, ContactStatus, Role
from models.base import utcnow
from models.db import Database
from tests.helpers import register_many


class Recorder:
    """A load_many that records its batches and answers each key with its double."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.fail = fail
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, keys: list[int]) -> Mapping[int, int]:
        self.batches.append(sorted(keys))
        await self.release.wait()
        if self.fail:
            raise RuntimeError("database gone")
        return {key: 2 * key for key in keys}


async def test_keys_asked_in_one_turn_are_loaded_together() -> None:
    recorder = Recorder()
    loader: Coalescer[int, int] = Coalescer(recorder)
    assert await asyncio.gather(*(loader.load(key) for key in (1, 2, 3, 2))) == [2, 4, 6, 4]
    assert recorder.batches == [[1, 2, 3]]
    assert await loader.load(5) == 10  # a later ask is a batch of its own
    assert recorder.batches == [[1, 2, 3], [5]]


async def test_asks_made_while_a_batch_loads_form_the_next_batch() -> None:
    recorder = Recorder()
    recorder.release.clear()
    loader: Coalescer[int, int] = Coalescer(recorder)
    first = asyncio.gather(loader.load(1), loader.load(2))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    second = asyncio.gather(loader.load(2), loader.load(3))
    await asyncio.sleep(0)
    recorder.release.set()
    assert list(await first) == [2, 4] and list(await second) == [4, 6]
    assert recorder.batches == [[1, 2], [2, 3]]


async def test_a_failed_load_fails_every_caller_of_the_batch() -> None:
    loader: Coalescer[int, int] = Coalescer(Recorder(fail=True))
    results = await asyncio.gather(loader.load(1), loader.load(2), return_exceptions=True)
    assert [type(result) for result in results] == [RuntimeError, RuntimeError]


async def test_a_load_that_forgets_a_key_fails_its_callers_rather_than_hanging() -> None:
    async def forgetful(keys: list[int]) -> Mapping[int, int]:
        return {key: key for key in keys if key != 2}

    loader: Coalescer[int, int] = Coalescer(forgetful)
    results = await asyncio.wait_for(
        asyncio.gather(loader.load(1), loader.load(2), return_exceptions=True), timeout=1
    )
    assert [type(result) for result in results] == [KeyError, KeyError]


async def test_a_cancelled_caller_leaves_the_others_their_answer() -> None:
    recorder = Recorder()
    recorder.release.clear()
    loader: Coalescer[int, int] = Coalescer(recorder)
    impatient = asyncio.create_task(loader.load(1))
    patient = asyncio.create_task(loader.load(1))
    await asyncio.sleep(0)
    impatient.cancel()
    recorder.release.set()
    assert await patient == 2
    with pytest.raises(asyncio.CancelledError):
        await impatient


async def test_senders_are_identified_together(
    db: Database,
    units: None,
    session_factory: async_sessionmaker[AsyncSession],
    client: SandboxClient,
) -> None:
    """Heads, a blocked head (reachable again), one who left, a stranger with a language."""
    active, blocked, left = await register_many(session_factory, client, 3, 981_000)
    stranger = 981_100
    await choose_language(db, stranger, "en", utcnow())
    async with session_factory.begin() as session:
        for user, status in ((blocked, ContactStatus.BLOCKED), (left, ContactStatus.LEFT)):
            contact = await session.scalar(select(Contact).where(Contact.telegram_user_id == user))
            assert contact is not None
            contact.status = status
    found = await who_are(db, [active, blocked, left, stranger])
    assert found[active].role == Role.HEAD and found[active].unit_name == "Thôn 1"
    assert found[active].unit_adults == 1000 and found[active].language is None
    assert found[blocked].role == Role.HEAD and not found[blocked].blocked
    assert found[left].role is None and found[left].unit_id is None
    assert found[stranger].role is None and found[stranger].language == "en"
    async with session_factory() as session:
        now_status = await session.scalar(
            select(Contact.status).where(Contact.telegram_user_id == blocked)
        )
    assert now_status == ContactStatus.ACTIVE


async def test_senders_are_still_identified_when_marking_one_reachable_fails(
    db: Database,
    units: None,
    session_factory: async_sessionmaker[AsyncSession],
    client: SandboxClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A locked database must not fail every sender looked up with a blocked one."""
    active, blocked = await register_many(session_factory, client, 2, 982_000)
    async with session_factory.begin() as session:
        contact = await session.scalar(select(Contact).where(Contact.telegram_user_id == blocked))
        assert contact is not None
        contact.status = ContactStatus.BLOCKED

    async def locked(session: AsyncSession, user_id: int) -> None:
        raise OperationalError("UPDATE contacts", {}, Exception("database is locked"))

    monkeypatch.setattr("bot.services.registry.contacts.reactivate", locked)
    found = await who_are(db, [active, blocked])
    assert found[active].role == Role.HEAD and found[blocked].blocked
