"""The fault suite: each guarantee of docs/reliability.md as a test (R1, R2, R5, R10 here)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.sandbox import Sandbox
from bot.sandbox.client import SandboxClient
from bot.services.broadcasts.audience import Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import create_directive
from bot.telegram.context import BotApplication
from bot.telegram.ui.permissions import CALLBACK_ROLES, COMMAND_ROLES
from bot.texts import translator
from models import Contact, Delivery, DeliveryStatus, Report, Role
from models.base import utcnow
from tests.cli_helpers import run_cli
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import register, register_many, say_and_wait, snapshot

SessionFactory = async_sessionmaker[AsyncSession]
DIRECTIVE_MARK = "THÔNG BÁO CỦA UBND XÃ"

NOT_ALLOWED = translator("vi").plain("access.not_allowed")
# Strangers are never told "not allowed": they are told how to register.
REFUSALS = {NOT_ALLOWED, translator("vi")("stranger.how_to")}
BUTTON_REFUSALS = {NOT_ALLOWED, translator("vi").plain("stranger.button")}


async def _queue(factory: SessionFactory) -> None:
    async with factory.begin() as session:
        await create_directive(
            session,
            DirectiveContent(subject="Thử", body="Nội dung"),
            Audience.parse("all"),
            actor_user_id=None,
            now=utcnow(),
        )


async def _per_chat(client: SandboxClient) -> Counter[int]:
    return Counter(
        e["chat_id"]
        for e in await client.events()
        if e["method"] == "sendMessage" and DIRECTIVE_MARK in (e["text"] or "")
    )


async def _all_sent(factory: SessionFactory, expected: int, timeout: float = 60) -> None:
    for _ in range(int(timeout / 0.2)):
        async with factory() as session:
            sent = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status == DeliveryStatus.SENT)
            )
        if sent == expected:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"only {sent} of {expected} sent")


def _bot_env(sandbox: Sandbox, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_"))}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": sandbox.config.token,
            "TELEGRAM_BASE_URL": sandbox.base_url,
            "TELEGRAM_BASE_FILE_URL": sandbox.base_file_url,
            "DATABASE_URL": db_url,
            "SEND_RATE_PER_SECOND": "20",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


async def _start_bot(sandbox: Sandbox, db_url: str, cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=_bot_env(sandbox, db_url),
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_r1_sigkill_mid_broadcast_loses_nothing(
    sandbox: Sandbox,
    client: SandboxClient,
    db_url: str,
    session_factory: SessionFactory,
    units: None,
    tmp_path: Path,
) -> None:
    users = await register_many(session_factory, client, 60, 860_000)
    await client.set_faults([], latency=0.05)
    await _queue(session_factory)
    bot = await _start_bot(sandbox, db_url, tmp_path)
    for _ in range(600):
        if sum((await _per_chat(client)).values()) >= 15:
            break
        await asyncio.sleep(0.05)
    bot.send_signal(signal.SIGKILL)
    await bot.wait()
    before_restart = sum((await _per_chat(client)).values())
    assert 15 <= before_restart < 60
    bot = await _start_bot(sandbox, db_url, tmp_path)
    try:
        await _all_sent(session_factory, 60)
    finally:
        bot.terminate()
        await bot.wait()
    per_chat = await _per_chat(client)
    assert all(per_chat[user] >= 1 for user in users), "a recipient never got the directive"
    duplicates = sum(count - 1 for count in per_chat.values())
    # At most what was in flight: the sends under way plus outcomes not yet flushed.
    assert duplicates <= 12


async def _r2(
    make_settings: SettingsFactory,
    client: SandboxClient,
    session_factory: SessionFactory,
    recipients: int,
    first: int,
) -> None:
    """10 % of sends answered 502 and 5 % hanging past the time-out: each gets it once."""
    users = await register_many(session_factory, client, recipients, first)
    await client.set_faults(
        [
            {"method": "sendMessage", "status": 502, "rate": 0.1},
            {"method": "sendMessage", "status": 504, "rate": 0.05, "delay": 1.0},
        ]
    )
    await _queue(session_factory)
    settings = make_settings(
        send_retry_base_seconds=0.05, http_read_timeout_seconds=0.5, send_max_attempts=20
    )
    async with polling(build_application(settings)):
        await _all_sent(session_factory, recipients, timeout=300)
    per_chat = await _per_chat(client)
    assert [per_chat[user] for user in users] == [1] * recipients
    assert (await client.stats()).get("faults", 0) > 0


async def test_r2_502s_and_timeouts_lose_nothing(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    await _r2(make_settings, client, session_factory, 40, 870_000)


ROLES: dict[str, int] = {
    "stranger": 880_001,
    "head": 880_002,
    "officer": 880_003,
    "admin": ADMIN_ID,
}
ROLE_OF: dict[str, Role | None] = {
    "stranger": None,
    "head": Role.HEAD,
    "officer": Role.OFFICER,
    "admin": Role.ADMIN,
}


async def _as_role(client: SandboxClient, factory: SessionFactory) -> None:
    """Make the head and the officer."""
    await client.converse(ROLES["stranger"], "/start")
    await register(client, factory, ROLES["head"], "T01")
    await client.converse(ROLES["officer"], "/start")
    await client.converse(ADMIN_ID, f"/phanquyen {ROLES['officer']} officer")


async def _try_command(app: BotApplication, client: SandboxClient, user: int, command: str) -> str:
    replies = await say_and_wait(app, client, user, f"/{command}")
    await say_and_wait(app, client, user, "/huy")  # leave any question it started
    return replies[0]["html"] or ""


async def test_r5_every_command_and_button_by_every_role(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    # Replies must come at once so each answer is read with its own command.
    await client.set_flood(chat_burst=1000)
    app = build_application(make_settings(send_chat_burst=1000))
    async with polling(app):
        await _authorisation_matrix(app, client, session_factory)


async def _authorisation_matrix(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    """Try every command and button as every role, one at a time."""
    await _as_role(client, session_factory)
    bait = await app.bot.send_message(ROLES["stranger"], "x")

    async def check_role(name: str) -> list[str]:
        problems = []
        user, role = ROLES[name], ROLE_OF[name]
        for command, allowed in COMMAND_ROLES.items():
            if command == "start":
                continue  # /start is everyone's; covered by the registration tests
            before = await snapshot(session_factory) if role not in allowed else None
            reply = await _try_command(app, client, user, command)
            refused = reply in REFUSALS
            if refused == (role in allowed):
                problems.append(f"/{command} by {name}: {'refused' if refused else 'allowed'}")
            if before is not None and await snapshot(session_factory) != before:
                problems.append(f"/{command} by {name} changed state")
        return problems

    problems = [problem for name in ROLES for problem in await check_role(name)]
    for prefix, allowed in CALLBACK_ROLES.items():
        for name, user in ROLES.items():
            message = await app.bot.send_message(user, "nút thử") if name != "stranger" else bait
            after = await client.last_seq()
            await client.press(user, message.message_id, f"{prefix}:0")
            answers = await client.events(user, after=after, count=1, wait=3)
            refused = any(
                e["method"] == "answerCallbackQuery" and e["text"] in BUTTON_REFUSALS
                for e in answers
            )
            if refused == (ROLE_OF[name] in allowed):
                problems.append(f"button {prefix} by {name}: {'refused' if refused else 'allowed'}")
    assert problems == [], "\n".join(problems)


async def test_r10_bot_and_unit_import_write_at_once(
    app: BotApplication,
    client: SandboxClient,
    session_factory: SessionFactory,
    db_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # One head per unit, so that every head's rising figures are that unit's history.
    units_of = {890_000: "T01", 890_001: "T02", 890_002: "B01", 890_003: "CA"}
    users = list(units_of)
    for user, code in units_of.items():
        await register(client, session_factory, user, code)

    async def report(user: int) -> None:
        for step in range(10):
            [reply] = await client.converse(user, f"/baocao {3 * step + 1}")
            assert reply["text"].startswith("✅"), reply["text"]

    sample = str(Path(__file__).parent.parent / "data" / "units.sample.csv")
    importing = asyncio.to_thread(run_cli, ["units", "import", sample], DATABASE_URL=db_url)
    results: list[Any] = await asyncio.gather(importing, *(report(u) for u in users))
    assert results[0].returncode == 0, results[0].stderr
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Report)) == 40
        contacts = await session.scalar(select(func.count()).select_from(Contact))
        assert contacts is not None and contacts >= 5
    assert "database is locked" not in caplog.text


@pytest.mark.soak
async def test_r2_soak_500_recipients(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    await _r2(make_settings, client, session_factory, 500, 900_000)
