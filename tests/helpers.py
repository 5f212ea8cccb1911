"""Helpers for end-to-end tests: invite codes, database snapshots."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import SandboxClient
from bot.services.registry.invites import create_invite
from bot.services.registry.units import find_unit
from bot.telegram.context import BotApplication
from models import AuditEvent, Contact, Invite, Role, Unit
from models.base import utcnow


async def make_invite(
    session_factory: async_sessionmaker[AsyncSession], unit_code: str | None, **kwargs: Any
) -> str:
    """Create an invite directly through the service and return its code."""
    async with session_factory.begin() as session:
        unit = await find_unit(session, unit_code) if unit_code else None
        invite = await create_invite(
            session,
            unit=unit,
            role=kwargs.pop("role", Role.HEAD),
            max_uses=kwargs.pop("max_uses", 5),
            ttl=kwargs.pop("ttl", None),
            now=kwargs.pop("now", utcnow()),
            actor_user_id=None,
        )
        return invite.code


async def snapshot(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Everything a refusal must leave untouched."""
    async with session_factory() as session:
        contacts = [
            (c.telegram_user_id, c.unit_id, c.role, c.status)
            for c in await session.scalars(select(Contact).order_by(Contact.id))
        ]
        invites = [
            (i.code, i.uses, i.revoked)
            for i in await session.scalars(select(Invite).order_by(Invite.id))
        ]
        units = [
            (u.code, u.name, u.kind, u.adults, u.active)
            for u in await session.scalars(select(Unit).order_by(Unit.id))
        ]
        # Wrong invite codes are audited on purpose (issue 13); nothing else may change.
        audit = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action != "invite.refused")
        )
    return {"contacts": contacts, "invites": invites, "units": units, "audit": audit}


async def contact_of(
    session_factory: async_sessionmaker[AsyncSession], user_id: int
) -> Contact | None:
    """Load one contact by Telegram user id."""
    async with session_factory() as session:
        contact: Contact | None = await session.scalar(
            select(Contact).where(Contact.telegram_user_id == user_id)
        )
        return contact


async def register(
    client: Any, session_factory: async_sessionmaker[AsyncSession], user_id: int, unit_code: str
) -> None:
    """Register a head of `unit_code` through a real /start with an invite."""
    code = await make_invite(session_factory, unit_code)
    # The registration, then the keyboard under the text box.
    reply, keyboard = await client.converse(
        user_id, f"/start {code}", replies=2, first_name=f"Trưởng {unit_code}"
    )
    assert "Đăng ký thành công" in reply["text"]
    assert keyboard["reply_markup"]["is_persistent"] is True


async def reports_of(
    session_factory: async_sessionmaker[AsyncSession], unit_code: str
) -> list[Any]:
    """All reports of a unit, oldest first."""
    from models import Report, Unit

    async with session_factory() as session:
        rows = await session.scalars(
            select(Report).join(Unit).where(Unit.code == unit_code).order_by(Report.id)
        )
        return list(rows)


async def register_many(
    session_factory: async_sessionmaker[AsyncSession],
    client: Any,
    count: int,
    first: int,
    unit_code: str = "T01",
) -> list[int]:
    """Register `count` heads of a unit through the services (fast), with open sandbox chats."""
    from bot.services.registry.invites import redeem_invite

    users = list(range(first, first + count))
    async with session_factory.begin() as session:
        unit = await find_unit(session, unit_code)
        invite = await create_invite(
            session,
            unit=unit,
            role=Role.HEAD,
            max_uses=None,
            ttl=None,
            now=utcnow(),
            actor_user_id=None,
        )
        await session.flush()
        for user in users:
            await redeem_invite(
                session,
                code=invite.code,
                user_id=user,
                chat_id=user,
                display_name=f"H{user}",
                now=utcnow(),
            )
    await client.open_chats(users)
    return users


async def until(
    condition: Callable[[], object],
    timeout: float = 10,
    what: str = "it",
    step: float = 0.005,
) -> None:
    """Wait until `condition()` (sync or async) holds, looking every `step` s, for `timeout` s."""
    for _ in range(int(timeout / step)):
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        await asyncio.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


async def until_said(
    client: SandboxClient, chat: int, text: str, *, after: int = 0, timeout: float = 20
) -> None:
    """Wait until a message of the chat after `after` (sent or edited) says `text`."""

    async def said() -> bool:
        events = await client.events(chat, after=after)
        return any(text in (event.get("text") or "") for event in events)

    await until(said, timeout=timeout, what=text)


async def say_and_wait(
    app: BotApplication, client: SandboxClient, user_id: int, text: str, timeout: float = 15
) -> list[dict[str, Any]]:
    """Send a message, wait until the bot has processed it, and return everything it did since.

    Waits for the bot itself rather than for a quiet moment: no reply is missed, none waited for.
    """
    after = await client.last_seq()
    update_id = await client.send(user_id, text)
    inbox = app.bot_data.inbox
    await until(lambda: inbox.finished(update_id), timeout, f"update {update_id} to be processed")
    return await client.events(user_id, after=after)


def labels(event: dict[str, Any]) -> list[str]:
    """The inline buttons' labels of a sent message, row after row."""
    markup = event.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def button_data(event: dict[str, Any], label: str) -> str:
    """The callback data of the inline button with this label."""
    markup = event.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {labels(event)}")
