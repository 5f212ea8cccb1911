"""Invite codes: entropy, alphabet, and the limits on use, expiry and revocation."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.registry.contacts import grant_role
from bot.services.registry.invites import (
    INVITE_CODE_BYTES,
    RedeemOutcome,
    new_invite_code,
    redeem_invite,
)
from models import Invite, Role
from models.base import utcnow
from tests.helpers import make_invite


def test_codes_are_unguessable_and_deep_link_safe() -> None:
    assert INVITE_CODE_BYTES * 8 >= 64
    codes = {new_invite_code() for _ in range(5000)}
    assert len(codes) == 5000
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", code)
        # 64 symbols per character: log2(64) = 6 bits each.
        assert len(code) * math.log2(64) >= 64


async def _redeem(factory: async_sessionmaker[AsyncSession], code: str, user: int, **kw: object):  # type: ignore[no-untyped-def]
    async with factory.begin() as session:
        return await redeem_invite(
            session,
            code=code,
            user_id=user,
            chat_id=user,
            display_name="x",
            now=kw.get("now", utcnow()),  # type: ignore[arg-type]
            confirmed=bool(kw.get("confirmed", False)),
        )


async def test_limits_on_use_expiry_and_revocation(
    session_factory: async_sessionmaker[AsyncSession], units: None
) -> None:
    code = await make_invite(session_factory, "T01", max_uses=2)
    assert (await _redeem(session_factory, code, 1)).outcome == RedeemOutcome.REGISTERED
    assert (await _redeem(session_factory, code, 2)).outcome == RedeemOutcome.REGISTERED
    assert (await _redeem(session_factory, code, 3)).outcome == RedeemOutcome.USED_UP
    short = await make_invite(session_factory, "T01", ttl=timedelta(hours=1))
    later = utcnow() + timedelta(hours=2)
    assert (await _redeem(session_factory, short, 4, now=later)).outcome == RedeemOutcome.EXPIRED
    assert (await _redeem(session_factory, "nope", 5)).outcome == RedeemOutcome.INVALID


async def _uses(factory: async_sessionmaker[AsyncSession], code: str) -> int:
    async with factory() as session:
        invite = await session.scalar(select(Invite).where(Invite.code == code))
        assert invite is not None
        return invite.uses


async def test_uses_count_people_not_taps(
    session_factory: async_sessionmaker[AsyncSession], units: None
) -> None:
    code = await make_invite(session_factory, "T01", max_uses=1)
    assert (await _redeem(session_factory, code, 1)).outcome == RedeemOutcome.REGISTERED
    for _ in range(3):
        assert (await _redeem(session_factory, code, 1)).outcome == RedeemOutcome.ALREADY
    assert await _uses(session_factory, code) == 1
    assert (await _redeem(session_factory, code, 2)).outcome == RedeemOutcome.USED_UP
    # Moved away and back with the same code: still one person, still allowed.
    other = await make_invite(session_factory, "T02")
    assert (await _redeem(session_factory, other, 1, confirmed=True)).outcome == RedeemOutcome.MOVED
    back = await _redeem(session_factory, code, 1, confirmed=True)
    assert back.outcome == RedeemOutcome.MOVED and back.unit_name == "Thôn 1"
    assert await _uses(session_factory, code) == 1


async def test_moves_and_staff_attachment_wait_for_a_choice(
    session_factory: async_sessionmaker[AsyncSession], units: None
) -> None:
    first = await make_invite(session_factory, "T01")
    second = await make_invite(session_factory, "T02")
    await _redeem(session_factory, first, 1)
    asked = await _redeem(session_factory, second, 1)
    assert asked.outcome == RedeemOutcome.CONFIRM_MOVE and asked.needs_choice
    assert (asked.previous_unit_name, asked.unit_name) == ("Thôn 1", "Thôn 2")
    assert await _uses(session_factory, second) == 0
    async with session_factory.begin() as session:
        await grant_role(session, actor_user_id=None, user_id=9, role=Role.ADMIN)
    staff = await _redeem(session_factory, second, 9)
    assert staff.outcome == RedeemOutcome.STAFF_CHOICE and staff.role == Role.ADMIN
    attached = await _redeem(session_factory, second, 9, confirmed=True)
    assert attached.outcome == RedeemOutcome.REGISTERED and attached.role == Role.ADMIN
    # An admin opening an officer invite stays an admin.
    officer = await make_invite(session_factory, None, role=Role.OFFICER, max_uses=1)
    assert (await _redeem(session_factory, officer, 9)).role == Role.ADMIN
