"""The playground's own API, its runner's hooks into the bot, and the sandbox's event stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.cli.main import build_parser
from bot.playground.runner import HEADS, OFFICER, RunningPlayground, run_playground
from bot.sandbox import Sandbox
from bot.sandbox.client import SandboxClient


@pytest.fixture
async def playground() -> AsyncIterator[RunningPlayground]:
    async with run_playground() as running:
        yield running


async def test_page_config_people_and_qr(playground: RunningPlayground) -> None:
    async with httpx.AsyncClient(base_url=playground.url) as http:
        page = await http.get("/")
        assert page.status_code == 200 and "không bao giờ kết nối Telegram thật" in page.text
        assert (await http.get("/static/app.js")).status_code == 200
        config = (await http.get("/_play/config")).json()
        roles = [p["role"] for p in config["people"]]
        assert roles == ["admin", "officer", "head", "head", "head", "stranger"]
        assert config["training"] is True
        added = (await http.post("/_play/people", json={"name": "  Anh   Ba "})).json()
        assert (added["name"], added["role"]) == ("Anh Ba", "newcomer")
        assert (await http.post("/_play/people", json={"name": " "})).status_code == 400
        qr = await http.get("/_play/qr.svg", params={"text": "https://t.me/x?start=abc"})
        assert qr.headers["content-type"] == "image/svg+xml" and b"<svg" in qr.content


async def test_people_are_registered_through_their_invites(
    playground: RunningPlayground,
) -> None:
    client = SandboxClient(playground.sandbox.control_url)
    try:
        [greeting] = await client.converse(HEADS[1].user_id, "/start")
        assert "Thôn 2" in greeting["text"]
        admin_chat = await client.messages(900_001)
        assert any(m.get("text") == "/moi T01" for m in admin_chat)
    finally:
        await client.aclose()


async def test_training_hooks_fire_a_schedule_and_show_the_outbox(
    playground: RunningPlayground,
) -> None:
    client = SandboxClient(playground.sandbox.control_url)
    async with httpx.AsyncClient(base_url=playground.url) as http:
        schedules = (await http.get("/_play/schedules")).json()["schedules"]
        reminder = next(s for s in schedules if s["kind"] == "reminder")
        after = await client.last_seq()
        fired = (await http.post(f"/_play/schedules/{reminder['id']}/run")).json()
        assert fired["recipients"] == len(HEADS)
        for head in HEADS:
            await client.expect(head.user_id, after=after)
        outbox: dict[str, Any] = {}
        for _ in range(100):  # bounded: the dispatcher marks rows sent just after sending
            outbox = (await http.get("/_play/outbox")).json()
            if outbox["counts"].get("sent") == len(HEADS):
                break
            await asyncio.sleep(0.05)
        assert outbox["counts"] == {"sent": len(HEADS)}
        assert {d["chat_id"] for d in outbox["recent"]} == {h.user_id for h in HEADS}
    await client.aclose()


async def test_a_kept_database_keeps_its_people(tmp_path: Path) -> None:
    db = tmp_path / "play.db"
    async with run_playground(db=db):
        pass
    async with run_playground(db=db) as again:
        client = SandboxClient(again.sandbox.control_url)
        try:
            [greeting] = await client.converse(OFFICER.user_id, "/start")
            assert "Cán bộ" in greeting["text"] or "cán bộ" in greeting["text"]
            # Nobody registered again: the officer's chat holds only this exchange.
            assert len(await client.messages(OFFICER.user_id)) == 2
        finally:
            await client.aclose()


async def test_stream_replays_then_follows(sandbox: Sandbox, client: SandboxClient) -> None:
    await client.send(5, "trước")
    async with (
        httpx.AsyncClient(timeout=10) as http,
        http.stream("GET", f"{sandbox.control_url}/stream") as stream,
    ):
        lines = stream.aiter_lines()
        first = await _next_data(lines)
        assert first["kind"] == "update" and first["update"]["message"]["text"] == "trước"
        await client.send(5, "sau")
        second = await _next_data(lines)
        assert second["update"]["message"]["text"] == "sau" and second["seq"] > first["seq"]


async def _next_data(lines: AsyncIterator[str]) -> dict[str, Any]:
    async for line in lines:
        if line.startswith("data: "):
            item: dict[str, Any] = json.loads(line.removeprefix("data: "))
            return item
    raise AssertionError("stream ended")


def test_play_command_line() -> None:
    args = build_parser().parse_args(["play", "--port", "9000", "--db", "x.db"])
    assert (args.command, args.port, args.host, args.db) == (
        "play",
        9000,
        "127.0.0.1",
        Path("x.db"),
    )
