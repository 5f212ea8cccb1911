"""End-to-end: /lich lists the default schedules; "▶ Chạy ngay", pause and a new time work."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import Event, SandboxClient
from bot.telegram.context import BotApplication
from models import Schedule
from tests.conftest import ADMIN_ID
from tests.helpers import register

SessionFactory = async_sessionmaker[AsyncSession]
HEAD = 850_001


def _button(event: Event, label: str) -> str:
    for row in event["reply_markup"]["inline_keyboard"]:
        for button in row:
            if button["text"].startswith(label):
                return str(button["callback_data"])
    raise AssertionError(label)


async def test_lich_run_now_pause_and_edit(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    events = await client.converse(ADMIN_ID, "/lich", replies=6, settle=0.5)
    assert events[0]["text"].startswith("🗓 Lịch gửi tự động")
    reminder = events[1]
    assert "Nhắc học và báo cáo" in reminder["text"] and "Thứ Hai 08:00" in reminder["text"]
    assert "Lần tới:" in reminder["text"]
    assert any("Bản tin tổng hợp" in e["text"] for e in events)

    after = await client.last_seq()
    [ran] = await client.click(ADMIN_ID, reminder["message_id"], _button(reminder, "▶ Chạy ngay"))
    assert "Đã chạy" in ran["text"] and "1 người nhận" in ran["text"]
    [nudge] = await client.expect(HEAD, after=after, timeout=10)
    assert "Bình dân học vụ số" in nudge["text"]
    assert _button(nudge, "📝 Báo cáo") == "report:start"

    [paused] = await client.click(ADMIN_ID, reminder["message_id"], _button(reminder, "⏸"))
    assert "tạm dừng" in paused["text"]
    queue = app.job_queue
    assert queue is not None
    schedule_id = int(_button(reminder, "⏸").rsplit(":", 1)[1])
    assert queue.get_jobs_by_name(f"schedule:{schedule_id}") == ()

    await client.click(ADMIN_ID, reminder["message_id"], _button(paused, "▶ Tiếp tục"))
    assert len(queue.get_jobs_by_name(f"schedule:{schedule_id}")) == 1
    [ask] = await client.click(ADMIN_ID, reminder["message_id"], _button(reminder, "✏️"))
    assert "Gõ lịch mới" in ask["text"]
    [refused] = await client.converse(ADMIN_ID, "thứ 9 08:00")
    assert "Không hiểu lịch" in refused["text"]
    [saved] = await client.converse(ADMIN_ID, "t3 07:30")
    assert "Đã lưu" in saved["text"]
    async with session_factory() as session:
        schedule = await session.get(Schedule, schedule_id)
    assert schedule is not None and schedule.rule == "t3 07:30"


async def test_head_cannot_open_lich(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    [reply] = await client.converse(HEAD, "/lich")
    assert reply["text"] == "⛔ Bạn không có quyền dùng lệnh này."
    async with session_factory() as session:
        assert len(list(await session.scalars(select(Schedule)))) == 4


async def test_run_now_digest_reaches_staff(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    events = await client.converse(ADMIN_ID, "/lich", replies=6, settle=0.5)
    digest = next(e for e in events if "Bản tin tổng hợp" in e["text"])
    after = await client.last_seq()
    await client.click(ADMIN_ID, digest["message_id"], _button(digest, "▶ Chạy ngay"))
    received: list[Event] = []
    for _ in range(30):
        fresh = await client.events(ADMIN_ID, after=after, count=1, wait=1)
        received = [e for e in fresh if (e["text"] or "").startswith("📊 Bản tin")]
        if received:
            break
        after = fresh[-1]["seq"] if fresh else after
    assert received, "the digest did not reach the admin"
    assert received[0]["reply_markup"] is None
