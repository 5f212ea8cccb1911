"""Updates of one chat stay in order; different chats run at once."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update, User

from bot.telegram.updates import ChatOrderedUpdateProcessor


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
