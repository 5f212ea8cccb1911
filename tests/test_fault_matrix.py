"""The fault matrix (issue 21): the end-to-end flows under 30 % faults, with their invariants.

Every Bot API call but getUpdates fails 30 % of the time in one of five ways (502, a time-out,
429 with retry_after, a dropped connection, an unexpected 400). People behave as people do: a
head who sees no answer sends again, an attacker keeps trying. Once the faults stop, every
flow can be finished. Invariants checked after each run:

- nobody gains a role they were refused, and no invite link or file reaches them;
- every report is stored once per Telegram update, and each unit's figure is its last one;
- every broadcast recipient gets the directive at least once, and at most once more than
  the sends in flight (only a fault *after* delivery, an answer lost, can double one);
- an acknowledgement is recorded once;
- the process is alive and answers at the end.

The figures are in docs/reliability.md ("Fault matrix").
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.sandbox.client import SandboxClient
from bot.services.broadcasts.audience import Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import create_directive
from bot.services.schedules.schedules import fire_once
from bot.telegram.context import BotApplication
from models import (
    Acknowledgement,
    Commendation,
    Delivery,
    DeliveryStatus,
    Invite,
    Report,
    Role,
    Schedule,
    ScheduleKind,
    ScheduleRun,
    ThreadMessage,
    ThreadSide,
)
from models.base import utcnow
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import contact_of, make_invite

pytestmark = pytest.mark.faults

SessionFactory = async_sessionmaker[AsyncSession]
RATE = float(__import__("os").environ.get("FAULT_RATE", "0.3"))
HEADS = {"T01": 830_001, "T02": 830_002}
OFFICER = 830_010
STRANGER = 830_099
SUBJECT = "Kiểm tra sự cố"
NOTE = "Thiếu điện thoại cho người cao tuổi"
ANSWER = "Xã sẽ mượn máy của trường"
LEAKS = ("sendDocument", "sendPhoto", "sendMediaGroup")

FAULTS: dict[str, dict[str, Any]] = {
    "502": {"kind": "error", "status": 502, "description": "Bad Gateway"},
    "timeout": {"kind": "timeout", "delay": 3.0},
    "429": {"kind": "flood", "retry_after": 1},
    "drop": {"kind": "drop", "after": True},
    # Delivered, then no answer: the bot's read time-out fires on a message that arrived.
    "timeout-after": {"kind": "timeout", "delay": 3.0, "after": True},
    "400": {"kind": "error", "status": 400, "description": "Bad Request: unexpected"},
}


async def _eventually(
    act: Callable[[], Awaitable[Any]], done: Callable[[], Awaitable[bool]], tries: int = 24
) -> None:
    """Do `act` as a person would, again and again, until `done` holds (each try waits 2 s)."""
    for _ in range(tries):
        if await done():
            return
        await act()
        for _ in range(20):
            if await done():
                return
            await asyncio.sleep(0.1)
    raise AssertionError("the flow never finished")


async def _role(factory: SessionFactory, user_id: int) -> Role | None:
    contact = await contact_of(factory, user_id)
    return contact.role if contact else None


async def _scalar(factory: SessionFactory, query: Any) -> Any:
    async with factory() as session:
        return await session.scalar(query)


async def _register_heads(client: SandboxClient, factory: SessionFactory) -> None:
    """Each head taps the invite link until registered (each tap is a new /start)."""
    for unit, user in HEADS.items():
        code = await make_invite(factory, unit)

        async def tap(user: int = user, code: str = code) -> None:
            await client.send(user, f"/start {code}")

        async def registered(user: int = user) -> bool:
            return await _role(factory, user) == Role.HEAD

        await _eventually(tap, registered)


async def _attack(client: SandboxClient) -> None:
    """A stranger and a head try to make themselves admins and get invite links, repeatedly."""
    for _ in range(3):
        for user in (STRANGER, HEADS["T01"]):
            for text in (f"/phanquyen {user} admin", "/moi", "/moi T01", "/xuatexcel"):
                await client.send(user, text)


async def _grant_officer(client: SandboxClient, factory: SessionFactory) -> None:
    async def grant() -> None:
        await client.send(ADMIN_ID, f"/phanquyen {OFFICER} officer")

    async def granted() -> bool:
        return await _role(factory, OFFICER) == Role.OFFICER

    await _eventually(grant, granted)


async def _reports(client: SandboxClient, factory: SessionFactory) -> None:
    """T01 reports by command, T02 by free text and "✅ Đúng"; both until stored."""

    async def stored(unit_enrolled: int) -> bool:
        query = select(func.count()).select_from(Report).where(Report.enrolled == unit_enrolled)
        return bool(await _scalar(factory, query))

    async def by_command() -> None:
        await client.send(HEADS["T01"], "/baocao 120 45")

    await _eventually(by_command, lambda: stored(120))
    head = HEADS["T02"]

    async def by_text() -> None:
        after = await client.last_seq()
        await client.send(head, "đã có 80 người đăng ký")
        events = await client.events(head, after=after, count=1, wait=5)
        for event in events:
            for row in (event.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == "✅ Đúng":
                        for _ in range(4):  # taps again while the spinner turns
                            await client.press(head, event["message_id"], button["callback_data"])
                            if await stored(80):
                                return
                            await asyncio.sleep(0.5)

    await _eventually(by_text, lambda: stored(80))


def _button_in(event: dict[str, Any], label: str) -> str | None:
    """The callback data of the button whose label starts with `label`, if the event has it."""
    for row in (event.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"].startswith(label):
                return str(button["callback_data"])
    return None


async def _last_with(client: SandboxClient, chat: int, label: str) -> tuple[int, str] | None:
    """The newest message in a chat carrying a button labelled `label`: (its id, the data)."""
    for event in reversed(await client.events(chat)):
        data = _button_in(event, label)
        if data is not None and event["message_id"] is not None:
            return int(event["message_id"]), data
    return None


async def _count(factory: SessionFactory, model: Any, *where: Any) -> int:
    return int(await _scalar(factory, select(func.count()).select_from(model).where(*where)))


async def _thread(client: SandboxClient, factory: SessionFactory) -> None:
    """T01's head writes to the commune under its report; the officer answers."""
    head = HEADS["T01"]

    async def write() -> None:
        found = await _last_with(client, head, "✍️")
        if found is None:  # the report's echo never arrived: report again, as a head would
            await client.send(head, "/baocao 120 45")
            return
        await client.press(head, *found)
        await asyncio.sleep(0.5)
        await client.send(head, NOTE)

    async def noted() -> bool:
        return await _count(factory, ThreadMessage, ThreadMessage.side == ThreadSide.UNIT) > 0

    await _eventually(write, noted)

    async def answer() -> None:
        found = await _last_with(client, OFFICER, "↩️")
        if found is None:
            return  # the forward is still on its way through the outbox
        await client.press(OFFICER, *found)
        await asyncio.sleep(0.5)
        await client.send(OFFICER, ANSWER)

    async def answered() -> bool:
        side = ThreadMessage.side == ThreadSide.COMMUNE
        return await _count(factory, ThreadMessage, side) > 0

    await _eventually(answer, answered, tries=30)


async def _commend(client: SandboxClient, factory: SessionFactory) -> None:
    """The officer sends a commendation list, pressing again while no answer is seen."""

    tries = 0

    async def send() -> None:
        # Press the newest list's button; when that did nothing, start the list again.
        nonlocal tries
        tries += 1
        found = await _last_with(client, OFFICER, "📤 Gửi biểu dương")
        if found is None or tries % 2 == 0:
            await client.send(OFFICER, "/bieuduong")
            return
        await client.press(OFFICER, *found)

    async def sent() -> bool:
        return await _count(factory, Commendation) > 0

    await _eventually(send, sent)
    for _ in range(2):  # presses that come late, after the answer was lost
        found = await _last_with(client, OFFICER, "📤 Gửi biểu dương")
        if found is not None:
            await client.press(OFFICER, *found)


async def _fire_twice(application: BotApplication, factory: SessionFactory) -> None:
    """A reminder's firing, repeated as a restart at the wrong moment would repeat it."""
    async with factory() as session:
        schedule = await session.scalar(
            select(Schedule).where(Schedule.kind == ScheduleKind.REMINDER)
        )
    assert schedule is not None
    nominal = utcnow().replace(second=0, microsecond=0)
    deps = application.bot_data
    for _ in range(2):  # as "▶ Chạy ngay" does it, keyed by one moment: recorded once
        await fire_once(deps.db, schedule.id, nominal, utcnow(), deps.settings, manual=True)
        deps.outbox.wake()


async def _broadcast(client: SandboxClient, factory: SessionFactory) -> int:
    async with factory.begin() as session:
        directive, _ = await create_directive(
            session,
            DirectiveContent(subject=SUBJECT, body="Nội dung kiểm tra"),
            Audience.parse("all"),
            actor_user_id=None,
            now=utcnow(),
        )
        return directive.id


async def _all_settled(factory: SessionFactory) -> bool:
    """Every delivery has its outcome (sent, or failed on an error Telegram would repeat)."""
    waiting = Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING))
    return await _count(factory, Delivery, waiting) == 0


async def _acknowledge(client: SandboxClient, factory: SessionFactory) -> None:
    """Each head presses "✅ Đã nhận" under the directive until it is recorded."""
    for user in HEADS.values():
        contact = await contact_of(factory, user)
        assert contact is not None
        messages = [m for m in await client.messages(user) if SUBJECT in (m.get("text") or "")]
        if not messages:
            continue  # never delivered (a 400 is final): nothing to acknowledge
        data = next(
            b["callback_data"]
            for row in messages[-1]["reply_markup"]["inline_keyboard"]
            for b in row
            if b["callback_data"].startswith("ack:")
        )
        query = (
            select(func.count())
            .select_from(Acknowledgement)
            .where(Acknowledgement.contact_id == contact.id)
        )

        async def press(user: int = user, message: Any = messages[-1], data: str = data) -> None:
            await client.press(user, message["message_id"], data)

        async def acknowledged(query: Any = query) -> bool:
            return bool(await _scalar(factory, query))

        await _eventually(press, acknowledged)
        await press()  # a second tap records nothing more
        assert await _scalar(factory, query) == 1


@pytest.mark.parametrize("name", sorted(FAULTS))
async def test_flows_hold_their_invariants_under_faults(
    name: str,
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    fault = FAULTS[name]
    # Time-outs fire fast and retries come soon, so a run takes seconds, not minutes.
    settings = make_settings(http_read_timeout_seconds=1.0, send_retry_base_seconds=0.2)
    application = build_application(settings)
    async with polling(application):
        await client.converse(STRANGER, "/start")
        await client.open_chats([OFFICER, ADMIN_ID])  # they have opened the bot before
        await client.set_faults([{"method": "*", "rate": RATE, **fault}])
        await _register_heads(client, session_factory)
        await _attack(client)
        await _grant_officer(client, session_factory)
        await _reports(client, session_factory)
        await _thread(client, session_factory)
        await _commend(client, session_factory)
        await _fire_twice(application, session_factory)
        directive_id = await _broadcast(client, session_factory)
        await _eventually(_noop, lambda: _all_settled(session_factory), tries=180)
        await client.set_faults([])
        # Once the faults stop, every flow can be finished.
        await _acknowledge(client, session_factory)
        [alive] = await client.converse(ADMIN_ID, "/thongke")
        assert "Thôn 1" in alive["text"]
        await _check_invariants(client, session_factory, directive_id, fault)


async def _noop() -> None:
    """Nothing to do but wait (the outbox retries by itself)."""


async def _check_invariants(
    client: SandboxClient, factory: SessionFactory, directive_id: int, fault: dict[str, Any]
) -> None:
    assert await _role(factory, STRANGER) is None
    assert await _role(factory, HEADS["T01"]) == Role.HEAD
    assert await _role(factory, OFFICER) == Role.OFFICER
    calls = await client.calls()
    for user in (STRANGER, HEADS["T01"]):
        mine = [c for c in calls if str(c["params"].get("chat_id")) == str(user)]
        assert not [c for c in mine if c["method"] in LEAKS], mine
        assert not [c for c in mine if "start=" in str(c["params"].get("text", ""))], mine
    async with factory() as session:
        uses = list(await session.scalars(select(Invite.uses)))
        reports = list(await session.scalars(select(Report)))
        deliveries = list(
            await session.scalars(select(Delivery).where(Delivery.directive_id == directive_id))
        )
    assert sorted(uses) == [1, 1], uses  # each head registered once
    updates = Counter(r.source_update_id for r in reports)
    assert all(n == 1 for n in updates.values()), updates
    assert {r.enrolled for r in reports} == {120, 80}
    # What reached each chat (the sandbox's messages, whatever the bot heard back), and the
    # sends whose answer the bot never got.
    received = Counter(
        e["chat_id"]
        for e in await client.events()
        if e["method"] == "sendMessage" and SUBJECT in (e["text"] or "")
    )
    unanswered = Counter(
        int(c["params"]["chat_id"])
        for c in calls
        if c["method"] == "sendMessage"
        and c["status"] != 200
        and SUBJECT in str(c["params"].get("text", ""))
    )
    for delivery in deliveries:
        if delivery.status is DeliveryStatus.SENT:
            assert received[delivery.chat_id] >= 1, delivery.chat_id
        else:
            # Only a final error (the unexpected 400) leaves a recipient without the message.
            assert fault.get("status") == 400 and delivery.status is DeliveryStatus.FAILED
        # A copy beyond the first only where an answer was lost after delivery, one per loss.
        doubles = max(0, received[delivery.chat_id] - 1)
        assert doubles <= (unanswered[delivery.chat_id] if fault.get("after") else 0), (
            delivery.chat_id,
            received,
            unanswered,
        )
    await _check_the_other_flows(client, factory, calls, fault)


async def _check_the_other_flows(
    client: SandboxClient, factory: SessionFactory, calls: list[Any], fault: dict[str, Any]
) -> None:
    """Threads stay in their unit, a commendation is sent once, a firing once."""
    assert await _count(factory, ThreadMessage, ThreadMessage.side == ThreadSide.UNIT) >= 1
    assert await _count(factory, Commendation) == 1
    assert await _count(factory, ScheduleRun) == 1
    texts = {
        user: [
            str(c["params"].get("text", ""))
            for c in calls
            if str(c["params"].get("chat_id")) == str(user) and c["status"] == 200
        ]
        for user in (HEADS["T01"], HEADS["T02"], STRANGER)
    }
    # The officer's answer reaches Thôn 1 (unless a final 400 refused it), never Thôn 2.
    assert not [t for t in texts[HEADS["T02"]] + texts[STRANGER] if ANSWER in t]
    if fault.get("status") != 400:
        assert [t for t in texts[HEADS["T01"]] if ANSWER in t]
