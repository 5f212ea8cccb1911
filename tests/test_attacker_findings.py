"""What the attacker of issue 21 found besides the gate: each a defect, each with a test."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.cli.logging_setup import configure_logging
from bot.sandbox.client import SandboxClient
from bot.services.registry.contacts import MAX_USER_ID, user_id_from_text
from bot.telegram.context import BotApplication
from bot.telegram.intake import connection_guard, webhook
from bot.telegram.intake.webhook import SECRET_HEADER
from bot.texts import translator
from models import ReceivedUpdate, UpdateStatus
from tests.cli_helpers import run_cli
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import register, snapshot
from tests.test_webhook_mode import _get, free_port

SessionFactory = async_sessionmaker[AsyncSession]
VI = translator("vi")
HEAD = 840_001
HUGE = "9" * 30
SECRET = "bi-mat_webhook_456"


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


def _webhook_settings(make_settings: SettingsFactory, port: int, path: str = "/tg/hook") -> Any:
    return make_settings(
        webhook_url=f"http://127.0.0.1:{port}{path}",
        webhook_secret=SECRET,
        webhook_listen=f"127.0.0.1:{port}",
    )


async def _post_raw(port: int, path: str, body: bytes) -> int:
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"http://127.0.0.1:{port}{path}", data=body, headers=headers) as answer,
    ):
        return answer.status


def _update_body(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    chat = {"id": user_id, "type": "private", "first_name": "Ba"}
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": chat,
        "from": {"id": user_id, "is_bot": False, "first_name": "Ba"},
        "text": text,
    }
    return {"update_id": update_id, "message": message}


POISON = [
    b'{"update_id":"abc"}',
    b"null",
    b"[]",
    b"5",
    b'"x"',
    b'{"update_id":7,"message":5}',
    b'{"update_id":-1}',
    b'{"update_id":true}',
    b"[" * 100_000 + b"]" * 100_000,
    json.dumps(_update_body(8, HEAD, "/baocao 1")).encode("utf-16"),
    b"\xff\xfe not json",
]


async def test_poison_webhook_bodies_are_refused_and_block_nothing(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    port = free_port()
    async with polling(build_application(_webhook_settings(make_settings, port))):
        for body in POISON:
            assert await _post_raw(port, "/tg/hook", body) == 400, body[:40]
        async with session_factory() as session:
            stored = await session.scalar(select(func.count()).select_from(ReceivedUpdate))
        assert stored == 0
        # The updates after them are stored and processed as usual.
        await register(client, session_factory, HEAD, "T01")
        [echo] = await client.converse(HEAD, "/baocao 120 45")
        assert "Đã ghi nhận" in echo["text"]
        # ... and every stored one is marked done (a poison body once stopped that for good).
        for _ in range(100):
            async with session_factory() as session:
                statuses = set(await session.scalars(select(ReceivedUpdate.status)))
            if statuses == {UpdateStatus.DONE}:
                break
            await asyncio.sleep(0.05)
        assert statuses == {UpdateStatus.DONE}, statuses


async def test_readyz_says_when_updates_are_not_being_stored(
    make_settings: SettingsFactory,
    units: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webhook, "STORE_TIMEOUT_SECONDS", 0.2)
    port = free_port()
    application = build_application(_webhook_settings(make_settings, port))
    async with polling(application):
        release = asyncio.Event()
        queue = application.bot_data.inbox  # the receiver stores through it
        real_store = queue.store

        async def stuck_store(batch: Any) -> None:
            await release.wait()
            await real_store(batch)

        monkeypatch.setattr(queue, "store", stuck_store)
        body = json.dumps(_update_body(11, HEAD, "/huongdan")).encode()
        assert await _post_raw(port, "/tg/hook", body) == 503
        await asyncio.sleep(0.3)  # past the store's time-out: that is what /readyz reports
        status, ready = await _get(port, "/readyz")
        assert (status, ready["ready"], ready["storing"]) == (503, False, False)
        release.set()
        for _ in range(100):
            status, ready = await _get(port, "/readyz")
            if status == 200:
                break
            await asyncio.sleep(0.05)
        assert (status, ready["ready"], ready["storing"]) == (200, True, True)


async def test_debug_logs_never_show_the_webhook_secret_or_path_token(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = free_port()
    path_token = "Zq8vR3nT5wY7pK2m"
    settings = _webhook_settings(make_settings, port, f"/tg/{path_token}")
    configure_logging("DEBUG", *settings.secrets())
    try:
        async with polling(build_application(settings)):
            await client.calls("setWebhook", count=1, wait=5)
            logging.getLogger("test").warning("leak attempt %s %s", SECRET, path_token)
    finally:
        configure_logging("WARNING", None)
    output = capsys.readouterr().err
    assert "setWebhook" in output, "DEBUG logging did not run"
    assert SECRET not in output and path_token not in output


async def test_forged_ids_past_the_database_range_name_nothing(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    [question] = await client.converse(HEAD, "/huongdan")
    for forged in ("2147483648", "9999999999"):
        after = await client.last_seq()
        await client.press(HEAD, question["message_id"], f"ack:{forged}")
        [answer] = await client.expect(HEAD, after=after)
        assert answer["method"] == "answerCallbackQuery"
        assert answer["text"] != VI.plain("error.internal"), forged


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed the connection (read returns EOF or a reset)."""
    try:
        return await asyncio.wait_for(reader.read(1024), 5) == b""
    except ConnectionResetError:
        return True  # an abort with unread data arrives as a reset
    except TimeoutError:
        return False


async def test_slow_and_surplus_clients_cannot_starve_the_receiver(
    make_settings: SettingsFactory,
    units: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webhook, "HEADER_SECONDS", 0.5)
    monkeypatch.setattr(webhook, "MAX_CONNECTIONS", 20)
    port = free_port()
    async with polling(build_application(_webhook_settings(make_settings, port))):
        slow = [await asyncio.open_connection("127.0.0.1", port) for _ in range(40)]
        for _, writer in slow:
            writer.write(b"POST /tg/hook HTTP/1.1\r\nHost: x\r\n")  # and never the rest
            await writer.drain()
        # The 20 past the limit are closed at once, the others once their headers are late.
        closed = await asyncio.gather(*(_closed_by_server(reader) for reader, _ in slow))
        assert all(closed)
        status, health = await _get(port, "/healthz")
        assert status == 200 and health["ok"] is True
        for _, writer in slow:
            writer.close()


async def test_idle_keep_alive_connections_make_room_for_telegram(
    make_settings: SettingsFactory,
    units: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webhook, "MAX_CONNECTIONS", 5)
    monkeypatch.setattr(connection_guard, "EVICT_QUIET_SECONDS", 0.2)
    port = free_port()
    async with polling(build_application(_webhook_settings(make_settings, port))):
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(5)]
        for reader, writer in idle:  # one whole request each, then nothing (keep-alive)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        await asyncio.sleep(0.3)  # quiet past EVICT_QUIET_SECONDS, as an idle socket would be
        status, _ = await _get(port, "/healthz")  # a sixth connection
        assert status == 200
        for _, writer in idle:
            writer.close()
