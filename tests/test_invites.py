"""Invite codes: entropy, alphabet, and the limits on use, expiry and revocation."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.registry.invites import (
    INVITE_CODE_BYTES,
    RedeemOutcome,
    new_invite_code,
    redeem_invite,
)
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
