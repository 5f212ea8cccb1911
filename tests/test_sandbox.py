"""The sandbox behaves like the Bot API where it matters: limits, errors and long polling."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.sandbox import Sandbox
from bot.sandbox.client import SandboxClient
from bot.sandbox.flood import FloodConfig, FloodControl

USER = 501


async def _call(sandbox: Sandbox, method: str, **params: Any) -> httpx.Response:
    """POST form data as PTB does."""
    form = {k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in params.items()}
    async with httpx.AsyncClient() as http:
        return await http.post(f"{sandbox.base_url}{sandbox.config.token}/{method}", data=form)


async def test_flood_limit_answers_429_with_retry_after(
    sandbox: Sandbox, client: SandboxClient
) -> None:
    await client.open_chats([1000 + user for user in range(10)])
    # A small ceiling, and all sends at once, so the one-second window cannot roll over.
    await client.set_flood(global_per_second=5, chat_burst=3)
    answers = await asyncio.gather(
        *(_call(sandbox, "sendMessage", chat_id=1000 + u, text="x") for u in range(10))
    )
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 5 and statuses.count(429) == 5
    refused = answers[statuses.index(429)].json()
    assert refused["ok"] is False and refused["parameters"]["retry_after"] >= 1


def test_private_chat_bucket_allows_short_burst_then_one_per_second() -> None:
    now = [0.0]
    flood = FloodControl(FloodConfig(chat_burst=3), clock=lambda: now[0])
    assert [flood.check(7) for _ in range(3)] == [None, None, None]
    assert flood.check(7) == 1
    now[0] += 1.0
    assert flood.check(7) is None


def test_group_limit_is_twenty_per_minute() -> None:
    now = [0.0]
    flood = FloodControl(FloodConfig(), clock=lambda: now[0])
    results = []
    for _ in range(21):
        results.append(flood.check(-100))
        now[0] += 0.5
    assert results[:20] == [None] * 20
    assert results[20] is not None and results[20] >= 40


async def test_errors_map_to_ptb_exceptions(sandbox: Sandbox, client: SandboxClient) -> None:
    await client.send(USER, "hi")
    bot = Bot(sandbox.config.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)
    async with bot:
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(987654, "x")
        with pytest.raises(BadRequest, match="(?i)too long"):
            await bot.send_message(USER, "x" * 4097)
        await bot.send_message(USER, "x" * 4096)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="é" * 33)]])
        with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
            await bot.send_message(USER, "x", reply_markup=markup)
        with pytest.raises(BadRequest, match="(?i)parse entities"):
            await bot.send_message(USER, "<script>x</script>", parse_mode="HTML")
        await client.block(USER)
        with pytest.raises(Forbidden, match="(?i)blocked"):
            await bot.send_message(USER, "x")


async def test_retry_after_reaches_ptb(sandbox: Sandbox, client: SandboxClient) -> None:
    await client.send(USER, "hi")
    await client.set_flood(chat_burst=1)
    bot = Bot(sandbox.config.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)
    async with bot:
        await bot.send_message(USER, "1")
        with pytest.raises(RetryAfter):
            await bot.send_message(USER, "2")


async def test_caption_limit_and_upload(sandbox: Sandbox, client: SandboxClient) -> None:
    await client.send(USER, "hi")
    bot = Bot(sandbox.config.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)
    async with bot:
        with pytest.raises(BadRequest, match="(?i)caption is too long"):
            await bot.send_document(USER, b"%PDF-1.4", filename="a.pdf", caption="c" * 1025)
        sent = await bot.send_document(USER, b"%PDF-1.4 demo", filename="cv.pdf", caption="ok")
        assert sent.document is not None
        file = await bot.get_file(sent.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 demo"


async def test_long_polling_waits_then_returns_injected_update(
    sandbox: Sandbox, client: SandboxClient
) -> None:
    bot = Bot(sandbox.config.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)
    async with bot:
        waiting = asyncio.create_task(bot.get_updates(offset=0, timeout=5))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await client.send(USER, "/start")
        updates = await asyncio.wait_for(waiting, 5)
        assert updates[0].message is not None and updates[0].message.text == "/start"
        confirmed = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
        assert confirmed == ()


async def test_faults_answer_with_status(sandbox: Sandbox, client: SandboxClient) -> None:
    await client.send(USER, "hi")
    await client.set_faults([{"method": "sendMessage", "status": 502, "count": 1}])
    first = await _call(sandbox, "sendMessage", chat_id=USER, text="x")
    second = await _call(sandbox, "sendMessage", chat_id=USER, text="x")
    assert (first.status_code, second.status_code) == (502, 200)


async def test_wrong_token_is_unauthorized(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{sandbox.base_url}999:wrong/getMe")
    assert answer.status_code == 401
