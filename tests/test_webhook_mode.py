"""Webhook mode in one process (both databases): the receiver, its secret, probes, the CLI."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.sandbox import Sandbox
from bot.sandbox.client import SandboxClient
from bot.services.maintenance import claims
from bot.settings import Settings
from bot.telegram.intake.webhook import SECRET_HEADER
from bot.texts import translator
from models import ReceivedUpdate, UpdateStatus
from models.db import Database
from tests.cli_helpers import run_cli
from tests.conftest import SettingsFactory
from tests.helpers import register, reports_of

SessionFactory = async_sessionmaker[AsyncSession]
SECRET = "bi-mat_webhook_123"
HEAD = 970_001
VI = translator("vi")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_settings(make_settings: SettingsFactory, port: int) -> Settings:
    return make_settings(
        webhook_url=f"http://127.0.0.1:{port}/tg/hook",
        webhook_secret=SECRET,
        webhook_listen=f"127.0.0.1:{port}",
    )


async def _post(port: int, path: str, body: dict[str, Any], secret: str | None) -> int:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"http://127.0.0.1:{port}{path}", json=body, headers=headers) as answer,
    ):
        return answer.status


async def _get(port: int, path: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as got:
        return got.status, await got.json()


async def test_a_webhook_worker_sets_the_webhook_receives_and_answers(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    port = free_port()
    async with polling(build_application(webhook_settings(make_settings, port))) as runtime:
        assert runtime.leading and runtime.receiver is not None
        [call] = await client.calls("setWebhook")
        assert call["params"]["url"] == f"http://127.0.0.1:{port}/tg/hook"
        assert call["params"]["secret_token"] == SECRET
        assert json.loads(call["params"]["allowed_updates"]) == ["message", "callback_query"]
        assert await client.calls("getUpdates") == []  # no polling in webhook mode
        await register(client, session_factory, HEAD, "T01")
        [echo] = await client.converse(HEAD, "/baocao 120 45")
        assert "Đã ghi nhận" in echo["text"]
        # A forged update: no secret, a wrong one, a right one of another length.
        forged = {"update_id": 999_999, "message": {"message_id": 1, "date": 0, "text": "/x"}}
        assert await _post(port, "/tg/hook", forged, None) == 403
        assert await _post(port, "/tg/hook", forged, "sai") == 403
        assert await _post(port, "/tg/hook", forged, SECRET + "x") == 403
        assert await _post(port, "/tg/hook", {"nonsense": True}, SECRET) == 400
        assert (await _get(port, "/healthz"))[0] == 200
        status, ready = await _get(port, "/readyz")
        assert status == 200 and ready["ready"] is True and ready["leader"] is True
    [report] = await reports_of(session_factory, "T01")
    assert (report.enrolled, report.completed) == (120, 45)
    async with session_factory() as session:
        stored = await session.scalar(
            select(func.count())
            .select_from(ReceivedUpdate)
            .where(ReceivedUpdate.update_id == 999_999)
        )
        undone = await session.scalar(
            select(func.count())
            .select_from(ReceivedUpdate)
            .where(ReceivedUpdate.status == UpdateStatus.PENDING)
        )
    assert stored == 0, "a refused update was stored"
    assert undone == 0


async def test_a_redelivered_update_is_processed_once(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    port = free_port()
    async with polling(build_application(webhook_settings(make_settings, port))):
        await register(client, session_factory, HEAD, "T01")
        after = await client.last_seq()
        update = {
            "update_id": 880_001,
            "message": {
                "message_id": 77,
                "date": 1_800_000_000,
                "chat": {"id": HEAD, "type": "private", "first_name": "T"},
                "from": {"id": HEAD, "is_bot": False, "first_name": "T"},
                "text": "/baocao 130",
                "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
            },
        }
        statuses = await asyncio.gather(
            *(_post(port, "/tg/hook", update, SECRET) for _ in range(3))
        )
        assert statuses == [200, 200, 200]
        [echo] = await client.expect(HEAD, after=after, count=1)
        assert "Đã ghi nhận" in echo["text"]
        assert await client.events(HEAD, after=echo["seq"], count=1, wait=1.0) == []
    assert [r.enrolled for r in await reports_of(session_factory, "T01")] == [130]


async def _cli(args: list[str], **env: str) -> Any:
    return await asyncio.to_thread(run_cli, args, **env)


async def test_webhook_commands_by_hand(sandbox: Sandbox) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": sandbox.config.token,
        "TELEGRAM_BASE_URL": sandbox.base_url,
        "DATABASE_URL": "sqlite+aiosqlite:///:memory:",
    }
    url = "http://127.0.0.1:9/hook"
    none = await _cli(["webhook", "info"], **env)
    assert none.returncode == 0, none.stderr
    assert none.stdout.strip() == VI.plain("cli.webhook_none", pending=0)
    refused = await _cli(["webhook", "set"], **env)
    assert refused.returncode == 2
    assert refused.stderr.strip() == "binhdan: " + VI.plain("cli.webhook_no_url")
    no_secret = await _cli(["webhook", "set"], **env, WEBHOOK_URL=url)
    assert no_secret.returncode == 2 and "WEBHOOK_SECRET" in no_secret.stderr
    done = await _cli(["webhook", "set"], **env, WEBHOOK_URL=url, WEBHOOK_SECRET=SECRET)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == VI.plain("cli.webhook_set", url=url)
    assert sandbox.store.webhook is not None and sandbox.store.webhook.secret_token == SECRET
    info = await _cli(["webhook", "info"], **env)
    assert info.stdout.splitlines()[0] == VI.plain("cli.webhook_info", url=url, pending=0)
    deleted = await _cli(["webhook", "delete"], **env)
    assert deleted.stdout.strip() == VI.plain("cli.webhook_deleted")
    assert sandbox.store.webhook is None


@pytest.mark.parametrize(
    ("setting", "value", "field"),
    [
        ("WEBHOOK_URL", "http://bot.example.vn/hook", "WEBHOOK_URL"),
        ("WEBHOOK_URL", "https://bot.example.vn:9000/hook", "WEBHOOK_URL"),
        ("WEBHOOK_LISTEN", "0.0.0.0", "WEBHOOK_LISTEN"),
        ("LEASE_SECONDS", "2", "LEASE_SECONDS"),
    ],
)
def test_bad_webhook_and_lease_settings_are_one_line(setting: str, value: str, field: str) -> None:
    result = run_cli(["webhook", "info"], **{setting: value, "WEBHOOK_SECRET": SECRET})
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert field in line and "Traceback" not in result.stderr


async def test_a_stale_read_of_pending_rows_never_queues_a_done_update_again(
    db: Database, sandbox: Sandbox
) -> None:
    """A read that began before an update's done mark (a snapshot) must not requeue it."""
    from telegram import Bot, Update

    from bot.services.maintenance import inbox as stored
    from bot.telegram.intake.inbox import Inbox

    pending: asyncio.Queue[object] = asyncio.Queue()
    queue = Inbox(pending)
    bot = Bot(sandbox.config.token, base_url=sandbox.base_url)
    await queue.attach(db, bot, keep_days=7)
    try:
        payload = {
            "update_id": 5,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "x",
                "chat": {"id": 9, "type": "private"},
            },
        }
        row = stored.Incoming(5, 9, json.dumps(payload))
        await stored.store(db, row, datetime.now(UTC))
        stale = await claims.pending_of(db, 9)  # read before the update is done
        assert await queue.enqueue_stored(row) is True
        update = await pending.get()
        assert isinstance(update, Update)
        queue.mark_done(update)
        await queue._flush()  # the writer's step, done here at once
        assert await claims.pending_of(db, 9) == []
        assert [await queue.enqueue_stored(r) for r in stale] == [False]
        assert pending.empty()
    finally:
        await queue.stop()
