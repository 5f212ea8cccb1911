"""Webhook mode and getUpdates conflicts, as Telegram behaves."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from bot.sandbox import Sandbox, SandboxConfig, running_sandbox
from bot.sandbox.client import SandboxClient
from bot.sandbox.webhook import SECRET_HEADER, Backoff

USER = 801
SECRET = "bi-mat_123"


@dataclass
class Receiver:
    """A local webhook endpoint answering with scripted statuses (then 200)."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[int, dict[str, Any], str | None]] = field(default_factory=list)
    arrived: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def handle(self, request: web.Request) -> web.Response:
        status = self.statuses.pop(0) if self.statuses else 200
        update = await request.json()
        self.received.append((status, update, request.headers.get(SECRET_HEADER)))
        if status == 200:
            await self.arrived.put(update)
        return web.Response(status=status)

    async def next(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.arrived.get(), 10)


@pytest.fixture
async def fast_sandbox() -> AsyncIterator[Sandbox]:
    """A sandbox that retries webhook deliveries quickly."""
    config = SandboxConfig(webhook_backoff=Backoff(first=0.05, factor=2, ceiling=0.2))
    async with running_sandbox(config) as running:
        yield running


@pytest.fixture
async def fast_client(fast_sandbox: Sandbox) -> AsyncIterator[SandboxClient]:
    control = SandboxClient(fast_sandbox.control_url)
    yield control
    await control.aclose()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.port = runner.addresses[0][1]
    yield hook
    await runner.cleanup()


def _bot(sandbox: Sandbox) -> Bot:
    return Bot(sandbox.config.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_delivers_with_secret_and_blocks_get_updates(
    fast_sandbox: Sandbox, fast_client: SandboxClient, receiver: Receiver
) -> None:
    async with _bot(fast_sandbox) as bot:
        assert await bot.set_webhook(receiver.url, secret_token=SECRET)
        await fast_client.send(USER, "/start")
        update = await receiver.next()
        assert update["message"]["text"] == "/start"
        assert receiver.received[0][2] == SECRET
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await bot.get_updates(timeout=0)
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count) == (receiver.url, 0)
        assert await bot.delete_webhook()
        await fast_client.send(USER, "sau khi xóa webhook")
        [polled] = await bot.get_updates(timeout=0)
        assert polled.message is not None and polled.message.text == "sau khi xóa webhook"
    [webhook_call] = await fast_client.calls("setWebhook")
    assert webhook_call["params"]["secret_token"] == SECRET


async def test_failed_deliveries_are_retried_in_order(
    fast_sandbox: Sandbox, fast_client: SandboxClient, receiver: Receiver
) -> None:
    receiver.statuses = [500, 502, 404]
    async with _bot(fast_sandbox) as bot:
        await bot.set_webhook(receiver.url)
        for text in ("một", "hai", "ba"):
            await fast_client.send(USER, text)
        delivered = [await receiver.next() for _ in range(3)]
        info = await bot.get_webhook_info()
    assert [u["message"]["text"] for u in delivered] == ["một", "hai", "ba"]
    # The first update was offered four times, and the others waited behind it.
    attempts = [(status, u["message"]["text"]) for status, u, _ in receiver.received]
    first = [(500, "một"), (502, "một"), (404, "một"), (200, "một")]
    assert attempts == [*first, (200, "hai"), (200, "ba")]
    assert receiver.received[0][2] is None  # no secret set, no header
    assert info.last_error_message == "Wrong response from the webhook: 404 Not Found"
    assert info.pending_update_count == 0


async def test_unreachable_webhook_keeps_updates_queued(
    fast_sandbox: Sandbox, fast_client: SandboxClient
) -> None:
    url = f"http://127.0.0.1:{_free_port()}/hook"
    async with _bot(fast_sandbox) as bot:
        await bot.set_webhook(url)
        await fast_client.send(USER, "một")
        await fast_client.send(USER, "hai")
        for _ in range(200):  # bounded: the first failure is recorded within a few tries
            info = await bot.get_webhook_info()
            if info.last_error_message:
                break
            await asyncio.sleep(0.05)
        assert info.last_error_message == "Connection refused"
        assert info.pending_update_count == 2
        await bot.delete_webhook()
        updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["một", "hai"]


async def test_allowed_updates_and_drop_pending(
    fast_sandbox: Sandbox, fast_client: SandboxClient, receiver: Receiver
) -> None:
    async with _bot(fast_sandbox) as bot:
        await fast_client.send(USER, "cũ")
        await bot.set_webhook(
            receiver.url, allowed_updates=["callback_query"], drop_pending_updates=True
        )
        assert (await bot.get_webhook_info()).allowed_updates == ("callback_query",)
        sent = await bot.send_message(USER, "Bấm")
        await fast_client.send(USER, "bị lọc")
        await fast_client.press(USER, sent.message_id, "x")
        update = await receiver.next()
        assert "callback_query" in update
        assert [u for _, u, _ in receiver.received] == [update]
        assert (await fast_client.stats())["updates_filtered"] == 1


async def test_webhook_must_stay_on_this_machine(sandbox: Sandbox) -> None:
    async with _bot(sandbox) as bot:
        with pytest.raises(BadRequest, match="(?i)bad webhook"):
            await bot.set_webhook("https://example.com/hook")
        with pytest.raises(BadRequest, match="(?i)secret token"):
            await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="có dấu")
        assert (await bot.get_webhook_info()).url == ""


async def test_a_second_long_poll_terminates_the_first(sandbox: Sandbox) -> None:
    async with _bot(sandbox) as first, _bot(sandbox) as second:
        waiting = asyncio.create_task(first.get_updates(timeout=5))
        for _ in range(250):  # bounded: until the first poll is waiting in the sandbox
            if sandbox.store.poller is not None:
                break
            await asyncio.sleep(0.02)
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await waiting
