"""Fail closed: a refusal stops the update even when telling the sender fails (issue 21).

Every refusal path of the access gate runs here with its notice failing (502, an unexpected
400): the refused command or button must not run. Each refused update is followed by a probe
in the same chat; chats are processed in order, so once the probe was tried, the refused
update is fully handled and its effects (or their absence) can be checked.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update

from bot.app import build_application, polling
from bot.sandbox.client import SandboxClient
from bot.services.registry.invites import RedeemOutcome, redeem_invite
from bot.telegram.context import BotApplication
from bot.telegram.ui.callbacks import Action, build
from bot.texts import translator
from handlers import gate
from models import Contact, Directive, Role
from models.base import utcnow
from models.db import Database
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import contact_of, make_invite, register, snapshot

SessionFactory = async_sessionmaker[AsyncSession]
HEAD = 810_001
STRANGER = 810_099
PROBE = "/huongdan"
VI = translator("vi")
# What a refused sender's chat must never carry: an invite link, a file, a role notice.
LEAKS = ("sendDocument", "sendPhoto", "sendMediaGroup", "setMyCommands")
NOTICES = ("sendMessage", "answerCallbackQuery", "editMessageText", "editMessageReplyMarkup")

FAULTS = {
    "502": {"status": 502, "description": "Bad Gateway"},
    "400": {"status": 400, "description": "Bad Request: message text is empty"},
}


async def _fail_every_notice(
    client: SandboxClient, fault: dict[str, Any], count: int | None = None
) -> None:
    """Messages, edits and button answers fail (the first `count` of each, or all of them)."""
    await client.set_faults([{"method": m, "count": count, **fault} for m in NOTICES])


async def _mark(client: SandboxClient) -> int:
    """The newest sequence number of events and calls (a call is logged after its event)."""
    calls = await client.calls(after=await client.last_seq())
    return max([await client.last_seq(), *(int(c["seq"]) for c in calls)])


async def _until_probe(client: SandboxClient, user: int, after: int) -> list[dict[str, Any]]:
    """The chat's calls since `after`, once the probe's answer was tried (chats run in order)."""
    seen = 0
    for _ in range(20):
        calls = await client.calls(after=after, count=seen + 1, wait=10)
        seen = len(calls)
        mine = [c for c in calls if str(c["params"].get("chat_id")) == str(user)]
        if any(PROBE_MARK in str(c["params"].get("text", "")) for c in mine):
            return mine
    raise AssertionError(f"the probe never ran in chat {user}")


async def _refused_then_probe(client: SandboxClient, user: int, send: Any) -> list[dict[str, Any]]:
    """Send a refused update, then the probe; return the chat's calls once the probe ran."""
    after = await _mark(client)
    await send()
    await client.send(user, PROBE)
    return await _until_probe(client, user, after)


# Every role's help carries the course link.
PROBE_MARK = "binhdanhocvuso"


@pytest.fixture(params=sorted(FAULTS))
def fault(request: pytest.FixtureRequest) -> dict[str, Any]:
    """One way for the refusal's notice to fail."""
    return FAULTS[request.param]


async def test_refused_commands_do_not_run_when_the_refusal_fails(
    app: BotApplication,
    client: SandboxClient,
    session_factory: SessionFactory,
    fault: dict[str, Any],
) -> None:
    await register(client, session_factory, HEAD, "T01")
    before = await snapshot(session_factory)
    await _fail_every_notice(client, fault)
    attempts = [
        (STRANGER, f"/phanquyen {STRANGER} admin"),
        (STRANGER, f"/phanquyen {STRANGER} quản trị"),
        (STRANGER, "/moi"),
        (STRANGER, "/xuatexcel"),
        (HEAD, f"/phanquyen {HEAD} quản trị"),
        (HEAD, "/moi T01"),
        (HEAD, "/xuatexcel"),
        (HEAD, "/donvi"),
    ]
    for user, text in attempts:

        async def send(user: int = user, text: str = text) -> None:
            await client.send(user, text)

        calls = await _refused_then_probe(client, user, send)
        assert not [c for c in calls if c["method"] in LEAKS], (text, calls)
        texts = " ".join(str(c["params"].get("text", "")) for c in calls)
        assert "start=" not in texts and "t.me/" not in texts, text
    assert await snapshot(session_factory) == before
    head = await contact_of(session_factory, HEAD)
    assert head is not None and head.role == Role.HEAD
    assert await contact_of(session_factory, STRANGER) is None


async def test_forged_buttons_do_not_run_when_the_refusal_fails(
    app: BotApplication,
    client: SandboxClient,
    session_factory: SessionFactory,
    fault: dict[str, Any],
) -> None:
    await register(client, session_factory, HEAD, "T01")
    # A message of the bot's in each chat, to press the forged buttons under.
    under = {
        user: (await client.converse(user, PROBE))[0]["message_id"] for user in (HEAD, STRANGER)
    }
    before = await snapshot(session_factory)
    for data in (build(Action.STATS_XLSX), build(Action.LATE_INVITE, "T02")):
        for user in (HEAD, STRANGER):

            async def press(user: int = user, data: str = data) -> None:
                # Only the refusal fails: a button handler run after it would get through.
                await _fail_every_notice(client, fault, count=1)
                await client.press(user, under[user], data)

            calls = await _refused_then_probe(client, user, press)
            assert not [c for c in calls if c["method"] in LEAKS], (data, calls)
            texts = " ".join(str(c["params"].get("text", "")) for c in calls)
            assert "start=" not in texts, data
    assert await snapshot(session_factory) == before


def _later_message(user_id: int, text: str, seconds: float) -> dict[str, Any]:
    """A raw update sent `seconds` from now, by the user's clock: the bucket has refilled."""
    user = {"id": user_id, "is_bot": False, "first_name": "Probe"}
    return {
        "message": {
            "message_id": 900_000,
            "date": int(time.time() + seconds),
            "chat": {"id": user_id, "type": "private", "first_name": "Probe"},
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        }
    }


async def test_a_flood_stays_dropped_when_the_notice_fails(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
    fault: dict[str, Any],
) -> None:
    application = build_application(make_settings(user_burst=2, user_rate_per_second=0.01))
    async with polling(application):
        await register(client, session_factory, HEAD, "T01")
        await client.converse(HEAD, "/tiendo")  # the second and last token
        await _fail_every_notice(client, fault)
        after = await _mark(client)
        for _ in range(5):
            await client.send(HEAD, "/tiendo")
        await client.push_update(_later_message(HEAD, PROBE, seconds=3600))
        # (The last /tiendo's answer may be logged just after `after`: it went through.)
        tried = [c for c in await _until_probe(client, HEAD, after) if c["status"] != 200]
        # One failed "too fast" notice, then the probe: the flood itself never ran.
        assert [c["params"]["text"] for c in tried][:1] == [VI.plain("access.too_fast")], tried
        assert len(tried) == 2, tried


async def test_a_gate_that_cannot_decide_stops_the_update(
    app: BotApplication,
    client: SandboxClient,
    session_factory: SessionFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_decide = gate.decide

    async def failing_decide(update: Update, context: Any) -> Any:
        if update.message is not None and (update.message.text or "").startswith("/phanquyen"):
            raise ConnectionError("database unreachable")
        return await real_decide(update, context)

    monkeypatch.setattr(gate, "decide", failing_decide)

    async def send() -> None:
        await client.send(ADMIN_ID, f"/phanquyen {STRANGER} admin")

    calls = await _refused_then_probe(client, ADMIN_ID, send)
    assert next(c["params"]["text"] for c in calls) == VI.plain("error.internal")
    assert await contact_of(session_factory, STRANGER) is None


async def test_an_error_in_the_gate_group_stops_the_update(
    app: BotApplication,
    client: SandboxClient,
    session_factory: SessionFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken_notice(*args: Any) -> None:
        raise RuntimeError("a bug in building the refusal")

    # A bug that escapes the gate reaches the error handler, which stops the update too.
    monkeypatch.setattr(gate, "_tell_best_effort", broken_notice)

    async def send() -> None:
        await client.send(STRANGER, f"/phanquyen {STRANGER} admin")

    calls = await _refused_then_probe(client, STRANGER, send)
    assert next(c["params"]["text"] for c in calls) == VI.plain("error.internal")
    assert await contact_of(session_factory, STRANGER) is None


async def test_a_send_whose_edit_fails_queues_the_broadcast_once(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    events = await client.converse(ADMIN_ID, "/thongbao Họp khẩn lúc 8 giờ", replies=2, settle=0.5)
    control = events[-1]
    send = next(
        b["callback_data"]
        for row in control["reply_markup"]["inline_keyboard"]
        for b in row
        if b["callback_data"] == build(Action.COMPOSE_SEND)
    )
    # The progress edits after queuing fail: the officer sees nothing change, presses again.
    await client.set_faults([{"method": "editMessageText"}])
    for _ in range(2):
        after = await _mark(client)
        await client.press(ADMIN_ID, control["message_id"], send)
        await client.send(ADMIN_ID, PROBE)
        await _until_probe(client, ADMIN_ID, after)
    async with session_factory() as session:
        directives = await session.scalar(select(func.count()).select_from(Directive))
    assert directives == 1


async def test_a_used_up_officer_code_does_not_give_the_role_back(
    db: Database, session_factory: SessionFactory
) -> None:
    code = await make_invite(session_factory, None, role=Role.OFFICER, max_uses=1)

    async def redeem() -> RedeemOutcome:
        async with db.write() as session:
            result = await redeem_invite(
                session,
                code=code,
                user_id=STRANGER,
                chat_id=STRANGER,
                display_name="X",
                now=utcnow(),
            )
            return result.outcome

    assert await redeem() is RedeemOutcome.REGISTERED
    async with db.write() as session:  # demoted since (to a head, say, after an election)
        demoted = await session.scalar(select(Contact).where(Contact.telegram_user_id == STRANGER))
        assert demoted is not None
        demoted.role = Role.HEAD
    assert await redeem() is RedeemOutcome.USED_UP
    assert await _role_of(session_factory, STRANGER) is Role.HEAD


async def _role_of(factory: SessionFactory, user_id: int) -> Role | None:
    contact = await contact_of(factory, user_id)
    return contact.role if contact else None


async def test_a_button_flood_is_answered_and_dropped(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    application = build_application(make_settings(user_burst=2, user_rate_per_second=0.01))
    async with polling(application):
        await register(client, session_factory, HEAD, "T01")  # spends one token
        [registered] = [m for m in await client.events(HEAD) if m["method"] == "sendMessage"][:1]
        after = await _mark(client)
        presses = 6
        for _ in range(presses):
            await client.press(HEAD, registered["message_id"], build(Action.HELP))
        answers = await client.calls("answerCallbackQuery", after=after, count=presses, wait=15)
        # Every press is answered; one passed (the last token), one heard "too fast".
        assert len(answers) == presses
        assert [a["params"].get("text") for a in answers].count(VI.plain("access.too_fast")) == 1
        # A different command as the probe: its answer, the chat's last, is told apart.
        await client.push_update(_later_message(HEAD, "/tiendo", seconds=3600))
        progress = VI.plain("progress.none")[:20]
        sent: list[dict[str, Any]] = []
        for _ in range(20):
            sent = await client.calls("sendMessage", after=after, count=len(sent) + 1, wait=5)
            if any(progress in c["params"]["text"] for c in sent):
                break
        helps = [c for c in sent if PROBE_MARK in c["params"]["text"]]
        assert len(helps) == 1  # only the press that passed
