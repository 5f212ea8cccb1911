"""End-to-end: /lich lists the default schedules; "▶ Chạy ngay", pause and a new time work."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import Event, SandboxClient
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import Schedule, ScheduleRun
from tests.conftest import ADMIN_ID
from tests.helpers import register

SessionFactory = async_sessionmaker[AsyncSession]
HEAD = 850_001
VI = translator("vi")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


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
    # Pressed again at once (its answer seemed lost): not run twice within 10 minutes.
    after = await client.last_seq()
    await client.press(ADMIN_ID, reminder["message_id"], _button(reminder, "▶ Chạy ngay"))
    [again] = await client.expect(ADMIN_ID, after=after)
    assert again["text"].startswith("Lịch này vừa được chạy lúc ")
    async with session_factory() as session:
        runs = await session.scalar(select(func.count()).select_from(ScheduleRun))
    assert runs == 1

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
    # A note for officers: the residents' course link is not repeated to them.
    assert "binhdanhocvuso.gov.vn" not in received[0]["text"]


async def _schedule_message(client: SandboxClient, label: str) -> Event:
    events = await client.converse(ADMIN_ID, "/lich", replies=6, settle=0.5)
    return next(e for e in events if label in (e["text"] or ""))


async def test_delete_asks_first_and_keep_puts_it_back(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    vi = translator("vi")
    digest = await _schedule_message(client, "Bản tin tổng hợp")
    schedule_id = int(_button(digest, "🗑").rsplit(":", 1)[1])
    [ask] = await client.click(ADMIN_ID, digest["message_id"], _button(digest, "🗑"))
    assert ask["message_id"] == digest["message_id"]  # asked in place
    assert ask["text"] == vi.plain(
        "schedule.delete_ask",
        number=str(schedule_id),
        kind="📊 Bản tin tổng hợp",
        rule="Thứ Bảy 08:00",
    )
    labels = [b["text"] for row in ask["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["🗑 Xóa", "Giữ lại"]
    async with session_factory() as session:
        assert await session.get(Schedule, schedule_id) is not None
    [kept] = await client.click(ADMIN_ID, digest["message_id"], _button(ask, "Giữ lại"))
    assert kept["text"] == digest["text"] and kept["reply_markup"] == digest["reply_markup"]

    [ask] = await client.click(ADMIN_ID, digest["message_id"], _button(kept, "🗑"))
    [gone] = await client.click(ADMIN_ID, digest["message_id"], _button(ask, "🗑 Xóa"))
    assert gone["text"].startswith(f"🗑 Đã xóa lịch #{schedule_id}")
    async with session_factory() as session:
        assert await session.get(Schedule, schedule_id) is None
    queue = app.job_queue
    assert queue is not None and queue.get_jobs_by_name(f"schedule:{schedule_id}") == ()


async def test_a_new_time_in_natural_vietnamese_is_repeated_with_its_next_firing(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    reminder = await _schedule_message(client, "Nhắc học và báo cáo")
    schedule_id = int(_button(reminder, "✏️").rsplit(":", 1)[1])
    await client.click(ADMIN_ID, reminder["message_id"], _button(reminder, "✏️"))
    [saved] = await client.converse(ADMIN_ID, "thu 5 luc 4 gio chieu")
    assert saved["text"].startswith("✅ Đã lưu lịch:")
    assert "Thứ Năm 16:00" in saved["text"] and "Lần tới:" in saved["text"]
    next_line = saved["text"].split("Lần tới: ", 1)[1].split(" · ", 1)[0]
    assert next_line.endswith("16:00")
    assert _button(saved, "▶ Chạy ngay") == f"sched:run:{schedule_id}"
    async with session_factory() as session:
        schedule = await session.get(Schedule, schedule_id)
    assert schedule is not None and schedule.rule == "t5 16:00"


async def test_the_picker_sets_a_day_then_an_hour(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    vi = translator("vi")
    chase = await _schedule_message(client, "Nhắc đơn vị chưa báo cáo")
    schedule_id = int(_button(chase, "✏️").rsplit(":", 1)[1])
    [ask] = await client.click(ADMIN_ID, chase["message_id"], _button(chase, "✏️"))
    days = [b["text"] for row in ask["reply_markup"]["inline_keyboard"] for b in row]
    assert days == ["T2", "T3", "T4", "T5", "T6", "T7", "CN", "Hằng ngày"]
    [hours] = await client.click(ADMIN_ID, ask["message_id"], _button(ask, "T3"))
    assert hours["message_id"] == ask["message_id"]
    assert hours["text"] == vi.plain("schedule.pick.hour", day="Thứ Ba")
    cleared, saved = await client.click(
        ADMIN_ID, ask["message_id"], _button(hours, "07:00"), replies=2
    )
    assert cleared["message_id"] == ask["message_id"] and not cleared["reply_markup"]
    assert saved["text"].startswith("✅ Đã lưu lịch:") and "Thứ Ba 07:00" in saved["text"]
    async with session_factory() as session:
        schedule = await session.get(Schedule, schedule_id)
    assert schedule is not None and schedule.rule == "t3 07:00"


async def test_a_new_schedule_from_the_picker(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    events = await client.converse(ADMIN_ID, "/lich", replies=6, settle=0.5)
    add = events[-1]
    [kinds] = await client.click(ADMIN_ID, add["message_id"], _button(add, "➕"))
    [ask] = await client.click(ADMIN_ID, kinds["message_id"], "sched:kind:reminder")
    [hours] = await client.click(ADMIN_ID, ask["message_id"], _button(ask, "Hằng ngày"))
    await client.click(ADMIN_ID, ask["message_id"], _button(hours, "19:00"), replies=2)
    [saved] = await client.converse(ADMIN_ID, "-")
    assert saved["text"].startswith("✅ Đã lưu lịch:") and "Hằng ngày 19:00" in saved["text"]
    async with session_factory() as session:
        rules = [s.rule for s in await session.scalars(select(Schedule).order_by(Schedule.id))]
    assert rules[-1] == "hang ngay 19:00"


async def test_a_date_that_never_comes_is_refused_and_changes_nothing(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    reminder = await _schedule_message(client, "Nhắc học và báo cáo")
    schedule_id = int(_button(reminder, "✏️").rsplit(":", 1)[1])
    async with session_factory() as session:
        before = (await session.get(Schedule, schedule_id)).rule  # type: ignore[union-attr]
    await client.click(ADMIN_ID, reminder["message_id"], _button(reminder, "✏️"))
    for typed in ("01/01/2020 08:00", "31/12/9999 08:00", "01/01/0001 08:00"):
        [refused] = await client.converse(ADMIN_ID, typed)
        assert refused["html"] == VI("rule.never_fires"), typed
    next_week = (datetime.now(TZ).date() + timedelta(days=7)).strftime("%d/%m/%Y")
    [saved] = await client.converse(ADMIN_ID, f"{next_week} 08:00")
    assert saved["text"].startswith("✅ Đã lưu lịch:")
    async with session_factory() as session:
        schedule = await session.get(Schedule, schedule_id)
    assert schedule is not None and schedule.rule == f"{next_week} 08:00" != before
