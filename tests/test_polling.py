"""Our polling loop: a batch is acknowledged (the next offset asked) only after it is stored."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

import pytest
from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError, RetryAfter

from bot.telegram.intake import polling
from bot.telegram.intake.inbox import Inbox
from bot.telegram.intake.polling import Poller
from tests.helpers import until


class FakeBot:
    """Answers getUpdates from a script: a list of updates, or an error to raise."""

    def __init__(self, script: list[list[int] | Exception]) -> None:
        self.script = script
        self.offsets: list[int | None] = []
        self.webhook_deleted = 0

    async def delete_webhook(self, drop_pending_updates: bool) -> bool:
        assert drop_pending_updates is False
        self.webhook_deleted += 1
        return True

    async def get_updates(
        self, offset: int | None = None, timeout: int = 0, **_: Any
    ) -> tuple[Update, ...]:
        self.offsets.append(offset)
        if timeout == 0:
            return ()  # the acknowledgement at a stop
        if not self.script:
            await asyncio.Event().wait()  # a long poll with nothing new
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return tuple(Update(update_id) for update_id in step)


class FakeInbox:
    """Records stored batches; `gate` holds a store until set."""

    def __init__(self) -> None:
        self.stored: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def store(self, batch: Sequence[tuple[Update, str]]) -> None:
        await self.gate.wait()
        self.stored.append([update.update_id for update, _ in batch])


def _poller(bot: FakeBot, inbox: FakeInbox) -> Poller:
    return Poller(cast(Bot, bot), cast(Inbox, inbox), timeout=10, allowed_updates=["message"])


async def test_the_next_offset_is_asked_only_after_the_batch_is_stored() -> None:
    bot, inbox = FakeBot([[5, 6], [7]]), FakeInbox()
    inbox.gate.clear()
    poller = _poller(bot, inbox)
    poller.start()
    await until(lambda: bot.offsets == [None])
    await asyncio.sleep(0.01)
    assert bot.offsets == [None], "asked again before the batch was stored"
    inbox.gate.set()
    await until(lambda: len(bot.offsets) == 3)
    assert bot.offsets == [None, 7, 8]
    assert inbox.stored == [[5, 6], [7]]
    assert bot.webhook_deleted == 1
    await poller.stop()
    assert bot.offsets[-1] == 8, "the stop acknowledges what was stored"


async def test_a_stop_during_a_store_acknowledges_nothing_of_that_batch() -> None:
    bot, inbox = FakeBot([[5]]), FakeInbox()
    inbox.gate.clear()
    poller = _poller(bot, inbox)
    poller.start()
    await until(lambda: bot.offsets == [None])
    await poller.stop()
    assert inbox.stored == []
    assert bot.offsets == [None], "Telegram was told to forget an update never stored"
    assert not poller.running


async def test_errors_are_retried_and_a_refused_token_stops_polling(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(polling, "FIRST_RETRY_SECONDS", 0.001)
    script: list[list[int] | Exception] = [
        NetworkError("502 Bad Gateway"),
        RetryAfter(0),
        [3],
        InvalidToken(),
    ]
    bot, inbox = FakeBot(script), FakeInbox()
    poller = _poller(bot, inbox)
    poller.start()
    await until(lambda: not poller.running)
    assert bot.offsets == [None, None, None, 4]
    assert inbox.stored == [[3]]
    assert "refused the bot token" in caplog.text
