"""Updates of one chat stay in order; different chats run at once."""

from __future__ import annotations

import asyncio
import inspect

from telegram import Chat, Message, Update, User

from bot.telegram.intake.updates import ChatOrderedUpdateProcessor


def _update(update_id: int, chat_id: int) -> Update:
    user = User(chat_id, "x", is_bot=False)
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, None, chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_one_chat_in_order_other_chats_concurrently() -> None:
    processor = ChatOrderedUpdateProcessor(8)
    log: list[str] = []

    async def work(name: str, delay: float) -> None:
        log.append(f"start {name}")
        await asyncio.sleep(delay)
        log.append(f"end {name}")

    await asyncio.gather(
        processor.process_update(_update(1, 10), work("a1", 0.05)),
        processor.process_update(_update(2, 10), work("a2", 0.0)),
        processor.process_update(_update(3, 20), work("b1", 0.0)),
    )
    assert log.index("end a1") < log.index("start a2")
    assert log.index("end b1") < log.index("end a1")
    assert processor._locks == {}


async def test_a_flooding_chat_holds_one_slot_and_others_pass() -> None:
    processor = ChatOrderedUpdateProcessor(2)
    release = asyncio.Event()
    active: list[int] = []
    peak = 0
    log: list[str] = []

    async def flood(n: int) -> None:
        nonlocal peak
        active.append(n)
        peak = max(peak, len(active))
        await release.wait()
        active.remove(n)
        log.append(f"flood {n}")

    async def head() -> None:
        log.append("head")
        release.set()

    flooding = [
        asyncio.create_task(processor.process_update(_update(i, 10), flood(i))) for i in range(20)
    ]
    await asyncio.sleep(0.01)
    # The head's chat is served although the flooding chat queued 20 updates before it.
    await asyncio.wait_for(processor.process_update(_update(99, 20), head()), 1)
    await asyncio.gather(*flooding)
    assert peak == 1, "one chat occupied more than one slot"
    assert log[0] == "head"
    assert log[1:] == [f"flood {i}" for i in range(20)]


async def test_on_done_is_told_in_chat_order() -> None:
    done: list[int] = []
    processor = ChatOrderedUpdateProcessor(4, on_done=lambda u: done.append(u.update_id))  # type: ignore[attr-defined]

    async def work(delay: float) -> None:
        await asyncio.sleep(delay)

    await asyncio.gather(
        processor.process_update(_update(1, 10), work(0.03)),
        processor.process_update(_update(2, 10), work(0.0)),
    )
    assert done == [1, 2]


class _Steps:
    """Steps that admit chat 10 only, and log what runs around each update."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def admit(self, update: object) -> bool:
        assert isinstance(update, Update) and update.effective_chat is not None
        return update.effective_chat.id == 10

    async def before(self, update: object) -> None:
        self.log.append("before")

    async def after(self, update: object) -> None:
        self.log.append("after")


async def test_steps_given_at_construction_admit_load_and_store_around_each_update() -> None:
    log: list[str] = []
    done: list[int] = []
    processor = ChatOrderedUpdateProcessor(
        4,
        _Steps(log),
        on_done=lambda u: done.append(u.update_id),  # type: ignore[attr-defined]
    )

    async def work(name: str) -> None:
        log.append(name)

    refused = work("other chat")
    await processor.process_update(_update(1, 10), work("own chat"))
    await processor.process_update(_update(2, 20), refused)
    assert log == ["before", "own chat", "after"]
    assert done == [1], "an update left to another process is not marked done here"
    assert inspect.getcoroutinestate(refused) == inspect.CORO_CLOSED, "never run, and closed"


def test_polling_the_leader_serves_every_chat_by_webhook_the_holder_its_own() -> None:
    from bot.processes.leadership import Leadership

    class Holder:
        def holds(self, chat_key: int | None) -> bool:
            return chat_key == 10

    leadership = Leadership("w1")
    assert not leadership.serves(10)
    leadership.leading = True
    assert leadership.serves(10) and leadership.serves(20)
    leadership.chats = Holder()
    assert leadership.serves(10) and not leadership.serves(20)
