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
from models import Acknowledgement, Delivery, DeliveryStatus, Invite, Report, Role
from models.base import utcnow
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import contact_of, make_invite

pytestmark = pytest.mark.faults

SessionFactory = async_sessionmaker[AsyncSession]
RATE = 0.3
HEADS = {"T01": 830_001, "T02": 830_002}
OFFICER = 830_010
STRANGER = 830_099
SUBJECT = "Kiểm tra sự cố"
LEAKS = ("sendDocument", "sendPhoto", "sendMediaGroup")

FAULTS: dict[str, dict[str, Any]] = {
    "502": {"kind": "error", "status": 502, "description": "Bad Gateway"},
    "timeout": {"kind": "timeout", "delay": 3.0},
    "429": {"kind": "flood", "retry_after": 1},
    "drop": {"kind": "drop", "after": True},
    "400": {"kind": "error", "status": 400, "description": "Bad Request: unexpected"},
}


async def _eventually(
    act: Callable[[], Awaitable[Any]], done: Callable[[], Awaitable[bool]], tries: int = 12
) -> None:
    """Do `act` as a person would, again and again, until `done` holds (each try waits a bit)."""
    for _ in range(tries):
        if await done():
            return
        await act()
        for _ in range(40):
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


async def _settled(factory: SessionFactory, directive_id: int) -> bool:
    """Every delivery has its outcome (sent, or failed on an error Telegram would repeat)."""
    query = (
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.directive_id == directive_id,
            Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
        )
    )
    return bool(await _scalar(factory, query) == 0)


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
        await client.set_faults([{"method": "*", "rate": RATE, **fault}])
        await _register_heads(client, session_factory)
        await _attack(client)
        await _grant_officer(client, session_factory)
        await _reports(client, session_factory)
        directive_id = await _broadcast(client, session_factory)
        await _eventually(_noop, lambda: _settled(session_factory, directive_id), tries=60)
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
    received = Counter(
        c["params"]["chat_id"]
        for c in calls
        if c["method"] == "sendMessage"
        and c["status"] == 200
        and SUBJECT in str(c["params"].get("text", ""))
    )
    for delivery in deliveries:
        if delivery.status is DeliveryStatus.SENT:
            assert received[str(delivery.chat_id)] >= 1, delivery.chat_id
        else:
            # Only a final error (the unexpected 400) leaves a recipient without the message.
            assert fault.get("status") == 400 and delivery.status is DeliveryStatus.FAILED
    # Only an answer lost after delivery can double a message, once per lost answer.
    doubles = sum(max(0, n - 1) for n in received.values())
    assert doubles == 0 or fault.get("after"), received
