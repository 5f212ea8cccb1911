"""What the attacker of issue 21 found besides the gate: each a defect, each with a test."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import SandboxClient
from bot.services.registry.contacts import MAX_USER_ID, user_id_from_text
from bot.telegram.context import BotApplication
from bot.texts import translator
from tests.cli_helpers import run_cli
from tests.conftest import ADMIN_ID
from tests.helpers import register, snapshot

SessionFactory = async_sessionmaker[AsyncSession]
VI = translator("vi")
HEAD = 840_001
HUGE = "9" * 30


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1", 1), ("700001", 700_001), (str(MAX_USER_ID), MAX_USER_ID)]
    + [(bad, None) for bad in ("0", "-5", "00", str(MAX_USER_ID + 1), HUGE, "１２", "1e5", "")],
)
def test_user_ids_are_positive_and_fit_telegram(typed: str, expected: int | None) -> None:
    assert user_id_from_text(typed) == expected


async def test_odd_numbers_in_grants_and_buttons_get_a_clear_answer(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    before = await snapshot(session_factory)
    for typed in ("0", HUGE, "-5"):
        [reply] = await client.converse(ADMIN_ID, f"/phanquyen {typed} cán bộ")
        assert reply["html"] == VI("grant.bad_user"), typed
    # A forged acknowledgement of a directive id no database can hold: an expired button.
    [question] = await client.converse(HEAD, "/huongdan")
    after = await client.last_seq()
    await client.press(HEAD, question["message_id"], f"ack:{HUGE}")
    [answer] = await client.expect(HEAD, after=after)
    assert answer["text"] == VI.plain("button.expired")
    assert await snapshot(session_factory) == before


@pytest.mark.parametrize("user_id", ["-5", "0", HUGE, "abc"])
def test_cli_grant_refuses_what_is_not_a_user_id(db_url: str, user_id: str) -> None:
    result = run_cli(["grant", user_id, "admin"], DATABASE_URL=db_url)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "binhdan: " + VI("cli.bad_user_id", user_id=user_id)
