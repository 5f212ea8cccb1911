"""`binhdan demo`: the whole loop, offline, on the sandbox, printed as a readable transcript."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.app import build_application, polling
from bot.cli.errors import CliError
from bot.sandbox import SandboxConfig, running_sandbox
from bot.sandbox.client import Event, SandboxClient
from bot.services.registry.units import import_units_file
from bot.settings import Settings
from bot.telegram.context import BotApplication
from bot.texts import N_
from models.db import open_database
from models.migrate import upgrade_to_head_async

ADMIN_ID = 900_001
OFFICER_ID = 900_002
FIRST_HEAD_ID = 910_000
LATE_UNITS = 5
SAMPLE_UNITS = Path(__file__).resolve().parents[2] / "data" / "units.sample.csv"


@dataclass
class Demo:
    """Shared state of a demo run: the client, the transcript and what each act learned."""

    client: SandboxClient
    application: BotApplication
    out: Path
    lines: list[str] = field(default_factory=list)
    head_ids: dict[str, int] = field(default_factory=dict)
    invite_codes: dict[str, str] = field(default_factory=dict)
    verbose_limit: int = 3

    def say(self, line: str = "") -> None:
        """Print a transcript line as it happens."""
        print(line, flush=True)
        self.lines.append(line)

    def user(self, who: str, text: str) -> None:
        """Print what a person typed or pressed."""
        self.say(f"👤 {who}: {text}")

    def bot(self, events: list[Event], *, brief: bool = False) -> None:
        """Print what the bot answered (only the first line when brief)."""
        for event in events:
            body = event.get("text") or ""
            if event["method"] == "sendPhoto":
                body = f"[ảnh] {body}"
            elif event["method"] == "sendDocument":
                body = f"[tệp {event.get('file_name')}] {body}"
            if brief:
                body = body.splitlines()[0] if body else ""
            self.say("🤖 Bot: " + body.replace("\n", "\n         "))


Act = Callable[[Demo], Awaitable[None]]


async def act_admin_setup(demo: Demo) -> None:
    """The admin (from ADMIN_IDS) greets the bot, lists units and invites an officer."""
    demo.say("━━ 1. Quản trị viên khởi tạo ━━")
    demo.user("Quản trị viên", "/start")
    demo.bot(await demo.client.converse(ADMIN_ID, "/start", first_name="Quản trị"))
    demo.user("Quản trị viên", "/donvi")
    demo.bot(await demo.client.converse(ADMIN_ID, "/donvi", settle=1.5), brief=True)
    demo.user("Quản trị viên", "/moi canbo")
    [invite] = await demo.client.converse(ADMIN_ID, "/moi canbo")
    demo.bot([invite], brief=True)
    code = (invite["text"] or "").split("?start=", 1)[1].split()[0]
    demo.user("Cán bộ VHXH", f"/start {code}")
    demo.bot(await demo.client.converse(OFFICER_ID, f"/start {code}", first_name="Cán bộ VHXH"))


async def act_heads_register(demo: Demo) -> None:
    """Every thôn/buôn head taps their unit's invite link."""
    demo.say("━━ 2. 45 trưởng thôn/buôn đăng ký bằng link mời ━━")
    demo.user("Quản trị viên", "/moi")
    listing = await demo.client.converse(ADMIN_ID, "/moi", settle=1.5)
    demo.bot(listing, brief=True)
    links = _links_by_name("\n".join(e["text"] or "" for e in listing))
    demo.invite_codes = links
    heads = [(name, code) for name, code in links.items() if name.startswith(("Thôn", "Buôn"))]

    async def register(index: int, name: str, code: str) -> list[Event]:
        # The registration, then the keyboard under the text box.
        return await demo.client.converse(
            demo.head_ids[name], f"/start {code}", replies=2, first_name=f"Trưởng {name}"
        )

    for index, (name, _) in enumerate(heads):
        demo.head_ids[name] = FIRST_HEAD_ID + index
    for index, (name, code) in enumerate(heads[: demo.verbose_limit]):
        demo.user(f"Trưởng {name}", f"/start {code}")
        demo.bot(await register(index, name, code))
    # The others register at the same time, as they would on the morning the QR sheet arrives.
    await asyncio.gather(
        *(
            register(index, name, code)
            for index, (name, code) in enumerate(heads)
            if index >= demo.verbose_limit
        )
    )
    demo.say(f"… và {len(heads) - demo.verbose_limit} trưởng thôn/buôn khác đã đăng ký tương tự.")
    demo.user("Người lạ", "/start mã-sai")
    demo.bot(await demo.client.converse(999_999, "/start ma-sai", first_name="Người lạ"))
    demo.user("Người lạ", "/donvi")
    demo.bot(await demo.client.converse(999_999, "/donvi"))


def _links_by_name(listing: str) -> dict[str, str]:
    """Read "Unit name: https://t.me/bot?start=CODE" lines into {name: code}."""
    links = {}
    for line in listing.splitlines():
        if "?start=" in line:
            name, _, link = line.rpartition(": ")
            links[name] = link.split("?start=", 1)[1]
    return links


def sample_figures(index: int) -> tuple[int, int]:
    """Deterministic, plausible figures for the demo (not real data)."""
    enrolled = 120 + (index * 37) % 260
    return enrolled, enrolled // (3 + index % 4)


async def act_heads_report(demo: Demo) -> None:
    """Heads report their cumulative figures in the ways they really type them; one corrects."""
    demo.say("━━ 3. Trưởng thôn/buôn báo cáo số người đăng ký học ━━")
    names = list(demo.head_ids)
    first_name, second_name = names[0], names[1]
    first, second = demo.head_ids[first_name], demo.head_ids[second_name]
    for who, uid, text in [
        (first_name, first, "/baocao 250 40"),
        (second_name, second, "/baocao"),
        (second_name, second, "khoảng một trăm hai mươi người"),
    ]:
        demo.user(f"Trưởng {who}", text)
        demo.bot(await demo.client.converse(uid, text))
    demo.user(f"Trưởng {second_name}", "[bấm] Bỏ qua")
    skip = (await demo.client.events(second))[-1]
    demo.bot(await demo.client.click(second, skip["message_id"], "report:skip"))
    # The last few thôn/buôn do not report, so that the chase and the statistics have work.
    for index, name in enumerate(names[2:-LATE_UNITS], start=2):
        enrolled, completed = sample_figures(index)
        text = f"/baocao {enrolled} {completed}"
        reply = await demo.client.converse(demo.head_ids[name], text)
        if not (reply[0]["text"] or "").startswith("✅"):
            demo.user(f"Trưởng {name}", text)
            demo.bot(reply)
    demo.say(
        f"… và {len(names) - 2 - LATE_UNITS} đơn vị khác đã báo cáo bằng lệnh /baocao; "
        f"{LATE_UNITS} đơn vị chưa báo cáo."
    )
    demo.say("— Một trưởng thôn phát hiện đã gõ nhầm và sửa lại số:")
    demo.user(f"Trưởng {first_name}", "/baocao 205 40")
    [warning] = await demo.client.converse(first, "/baocao 205 40")
    demo.bot([warning])
    demo.user(f"Trưởng {first_name}", "[bấm] ✅ Xác nhận")
    demo.bot(await demo.client.click(first, warning["message_id"], "report:confirm"))
    demo.user(f"Trưởng {first_name}", "gõ nhầm 250, đúng là 205")
    demo.bot(await demo.client.converse(first, "gõ nhầm 250, đúng là 205"))
    demo.user(f"Trưởng {first_name}", "/tiendo")
    demo.bot(await demo.client.converse(first, "/tiendo"))


def _button(event: Event, label_start: str) -> str:
    """The callback data of a button, found by the start of its label."""
    for row in (event.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"].startswith(label_start):
                return str(button["callback_data"])
    raise RuntimeError(f"no button {label_start!r}")


def _has_button(event: Event, label_start: str) -> bool:
    """Whether a message carries a button whose label starts so."""
    rows = (event.get("reply_markup") or {}).get("inline_keyboard", [])
    return any(button["text"].startswith(label_start) for row in rows for button in row)


def _label(event: Event, label_start: str) -> str:
    """The full label of a button found by the start of its label."""
    for row in (event.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"].startswith(label_start):
                return str(button["text"])
    raise RuntimeError(f"no button {label_start!r}")


async def _wait_summary(demo: Demo, control: Event) -> Event:
    """Wait until the officer's progress message turns into the summary."""
    after = control["seq"]
    for _ in range(120):
        for event in await demo.client.events(OFFICER_ID, after=after, count=1, wait=1):
            after = event["seq"]
            if event["message_id"] == control["message_id"] and "Đã gửi xong" in event["text"]:
                return event
    raise RuntimeError("the broadcast did not finish")


def _sign_up_photo() -> bytes:
    """A small picture standing in for a photo of the paper sign-up list."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for row in range(8):
        draw.line((20, 30 + 25 * row, 300, 30 + 25 * row), fill=(60, 60, 60), width=1)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


async def act_head_chats(demo: Demo) -> None:
    """A late head writes as in the Zalo group: a figure in words, a photo, a wrong QR code."""
    demo.say("━━ 4. Trưởng thôn nhắn như trên Zalo: gõ số, gửi ảnh, quét nhầm mã QR ━━")
    names = list(demo.head_ids)
    name, other = names[-LATE_UNITS], names[0]
    head = demo.head_ids[name]
    demo.user(f"Trưởng {name}", "được 35 người")
    [question] = await demo.client.converse(head, "được 35 người")
    demo.bot([question])
    demo.user(f"Trưởng {name}", "[bấm] ✅ Đúng")
    events = await demo.client.click(
        head, question["message_id"], _button(question, "✅ Đúng"), replies=2
    )
    demo.bot([e for e in events if e["method"] == "sendMessage"])
    demo.user(f"Trưởng {name}", "[gửi ảnh danh sách đăng ký]")
    after = await demo.client.last_seq()
    await demo.client.send_photo(head, _sign_up_photo(), first_name=f"Trưởng {name}")
    demo.bot(await demo.client.expect(head, after=after))
    _to(demo, "Cán bộ VHXH", await _arrival(demo, OFFICER_ID, after, "Ảnh minh chứng"))
    demo.say(f"— Trưởng {name} quét nhầm mã QR của {other} trên phiếu in (6 mã mỗi trang):")
    wrong = demo.invite_codes[other]
    demo.user(f"Trưởng {name}", f"/start {wrong}")
    [ask] = await demo.client.converse(head, f"/start {wrong}")
    demo.bot([ask])
    demo.user(f"Trưởng {name}", f"[bấm] Giữ {name}")
    events = await demo.client.click(head, ask["message_id"], _button(ask, "Giữ"), replies=2)
    demo.bot([e for e in events if e["method"] == "sendMessage"])


async def _arrival(demo: Demo, chat: int, after: int, needle: str) -> Event:
    """Wait for the message containing `needle` that the outbox delivers to `chat`."""
    for _ in range(30):
        for event in await demo.client.events(chat, after=after, count=1, wait=1):
            after = event["seq"]
            if needle in (event.get("text") or ""):
                return event
    raise RuntimeError(f"no message with {needle!r}")


def _to(demo: Demo, who: str, event: Event) -> None:
    """Print a message the bot sent to someone other than the last speaker."""
    body = (event.get("text") or "").replace("\n", "\n         ")
    demo.say(f"🤖 Bot → {who}: {body}")


async def act_two_way(demo: Demo) -> None:
    """A head's difficulty reaches the officers, who answer; the head answers back; handled."""
    demo.say("━━ 5. Ý kiến hai chiều: trưởng thôn nêu khó khăn, cán bộ xã trả lời ━━")
    name = next(iter(demo.head_ids))
    head = demo.head_ids[name]
    signed = f"Trưởng {name}"
    demo.user(f"Trưởng {name}", "/baocao 260 45")
    [echo] = await demo.client.converse(head, "/baocao 260 45", first_name=signed)
    demo.bot([echo])
    demo.user(f"Trưởng {name}", "[bấm] ✍️ Khó khăn, đề xuất")
    demo.bot(await demo.client.click(head, echo["message_id"], _button(echo, "✍️")))
    note = "Nhiều cụ cao tuổi không có điện thoại thông minh, xin xã hỗ trợ máy để học."
    after = await demo.client.last_seq()
    demo.user(f"Trưởng {name}", note)
    demo.bot(await demo.client.converse(head, note, first_name=signed))
    forward = await _arrival(demo, OFFICER_ID, after, "Ý kiến của")
    _to(demo, "Cán bộ VHXH (và quản trị viên)", forward)
    demo.user("Cán bộ VHXH", "[bấm] ↩️ Trả lời")
    demo.bot(await demo.client.click(OFFICER_ID, forward["message_id"], _button(forward, "↩️")))
    answer = "Tối thứ Bảy, Đoàn xã mang 10 máy tính bảng xuống nhà văn hóa thôn để hướng dẫn."
    after = await demo.client.last_seq()
    demo.user("Cán bộ VHXH", answer)
    demo.bot(await demo.client.converse(OFFICER_ID, answer, first_name="Cán bộ VHXH"))
    received = await _arrival(demo, head, after, "Cán bộ xã trả lời")
    _to(demo, f"Trưởng {name}", received)
    demo.user(f"Trưởng {name}", "[bấm] ↩️ Trả lời")
    demo.bot(await demo.client.click(head, received["message_id"], _button(received, "↩️")))
    thanks = "Cảm ơn xã, thôn sẽ mời bà con tới đông đủ."
    after = await demo.client.last_seq()
    demo.user(f"Trưởng {name}", thanks)
    demo.bot(await demo.client.converse(head, thanks, first_name=signed))
    _to(demo, "Cán bộ VHXH", await _arrival(demo, OFFICER_ID, after, "trả lời cán bộ xã"))
    # The admin's copies arrive too, before the admin's own commands in the next acts.
    await _arrival(demo, ADMIN_ID, after, "trả lời cán bộ xã")
    demo.user("Cán bộ VHXH", "/phanhoi")
    [listing] = await demo.client.converse(OFFICER_ID, "/phanhoi")
    demo.bot([listing])
    label = _label(listing, "✅")
    demo.user("Cán bộ VHXH", f"[bấm] {label}")
    events = await demo.client.click(
        OFFICER_ID, listing["message_id"], _button(listing, "✅"), replies=2
    )
    demo.bot([e for e in events if e["method"] == "answerCallbackQuery"], brief=True)
    demo.bot([e for e in events if e["method"] == "editMessageText"], brief=True)


async def act_broadcast(demo: Demo) -> None:
    """The officer sends the commune's letter (the template) to every unit; heads acknowledge."""
    demo.say("━━ 6. Cán bộ xã gửi công văn cho tất cả đơn vị ━━")
    names = list(demo.head_ids)
    blocked_name = names[-1]
    await demo.client.block(demo.head_ids[blocked_name])
    demo.say(f"(Trưởng {blocked_name} đã lỡ chặn bot — bot sẽ báo lại cho cán bộ.)")
    demo.user("Cán bộ VHXH", "/thongbao")
    [menu] = await demo.client.converse(OFFICER_ID, "/thongbao")
    demo.bot([menu])
    demo.user("Cán bộ VHXH", "[bấm] 📄 Dùng mẫu")
    preview = await demo.client.click(OFFICER_ID, menu["message_id"], "dir:template", replies=2)
    while "Bản xem trước" not in (preview[-1]["text"] or ""):
        preview += await demo.client.events(OFFICER_ID, after=preview[-1]["seq"], count=1, wait=5)
    demo.bot(preview)
    control = preview[-1]
    demo.user("Cán bộ VHXH", "[bấm] 📤 Gửi")
    await demo.client.click(OFFICER_ID, control["message_id"], "dir:send")
    summary = await _wait_summary(demo, control)
    demo.bot([summary])
    acknowledging = names[: len(names) * 2 // 3]
    for name in acknowledging:
        user = demo.head_ids[name]
        message = [e for e in await demo.client.events(user) if e.get("reply_markup")][-1]
        await demo.client.click(user, message["message_id"], _button(message, "✅ Đã nhận"))
    demo.say(f"… {len(acknowledging)} trưởng thôn/buôn bấm “✅ Đã nhận”.")
    demo.user("Cán bộ VHXH", "[bấm] Chưa xác nhận")
    demo.bot(
        await demo.client.click(
            OFFICER_ID, summary["message_id"], _button(summary, "Chưa xác nhận")
        ),
        brief=False,
    )


async def _save_file(demo: Demo, event: Event, name: str) -> None:
    """Download a file the bot sent and keep it in the output folder."""
    content = await demo.client.download(str(event["file_id"]))
    await asyncio.to_thread((demo.out / name).write_bytes, content)


async def act_statistics(demo: Demo) -> None:
    """The admin reads the statistics, chases the late units, exports and prints invites."""
    demo.say("━━ 7. Thống kê, nhắc đơn vị chậm, xuất Excel, in mã mời ━━")
    demo.user("Quản trị viên", "/thongke")
    summary, chart = await demo.client.converse(ADMIN_ID, "/thongke", replies=2)
    demo.bot([summary, chart])
    await _save_file(demo, chart, "chart.png")
    demo.user("Quản trị viên", "/chuabaocao")
    late = await demo.client.converse(ADMIN_ID, "/chuabaocao", settle=1.5)
    demo.bot(late, brief=True)
    nudge = next(e for e in late if _has_button(e, "🔔 Nhắc ngay"))
    demo.user("Quản trị viên", "[bấm] " + _label(nudge, "🔔 Nhắc ngay"))
    demo.bot(await demo.client.click(ADMIN_ID, nudge["message_id"], "stats:nudge"))
    unregistered = next((e for e in late if _has_button(e, "Công an")), None)
    if unregistered is not None:
        demo.say("— Đơn vị chưa có ai đăng ký: cán bộ lấy link mời để chuyển tiếp.")
        demo.user("Quản trị viên", "[bấm] " + _label(unregistered, "Công an"))
        invite = await demo.client.click(
            ADMIN_ID, unregistered["message_id"], _button(unregistered, "Công an"), replies=2
        )
        demo.bot(invite[-1:], brief=True)
    demo.user("Quản trị viên", "/xuatexcel")
    excel, pdf = await demo.client.converse(ADMIN_ID, "/xuatexcel", replies=2)
    demo.bot([excel, pdf])
    await _save_file(demo, excel, "bao-cao.xlsx")
    await _save_file(demo, pdf, "bao-cao.pdf")
    demo.user("Quản trị viên", "/moi")
    invites = await demo.client.converse(ADMIN_ID, "/moi", settle=1.5)
    sheet = next(e for e in invites if e["method"] == "sendDocument")
    demo.bot([sheet])
    await _save_file(demo, sheet, "moi-tham-gia.pdf")


async def act_schedules(demo: Demo) -> None:
    """The officer opens /lich and runs the chase and the digest now."""
    demo.say("━━ 8. Lịch tự động: nhắc đơn vị chậm và bản tin tổng hợp ━━")
    demo.user("Cán bộ VHXH", "/lich")
    events = await demo.client.converse(OFFICER_ID, "/lich", replies=6, settle=1.5)
    demo.bot(events[:5], brief=True)
    for label in ("Nhắc đơn vị chưa báo cáo", "Bản tin tổng hợp"):
        schedule = next(e for e in events if label in (e.get("text") or ""))
        demo.user("Cán bộ VHXH", f"[bấm] ▶ Chạy ngay ({label})")
        demo.bot(
            await demo.client.click(
                OFFICER_ID, schedule["message_id"], _button(schedule, "▶ Chạy ngay")
            )
        )
    after = events[-1]["seq"]
    for _ in range(30):  # the digest follows through the outbox within a few seconds
        fresh = await demo.client.events(OFFICER_ID, after=after, count=1, wait=1)
        digest = [e for e in fresh if (e.get("text") or "").startswith("📊 Bản tin")]
        if digest:
            demo.bot(digest)
            break
        after = fresh[-1]["seq"] if fresh else after


def _sample_adults() -> dict[str, int]:
    """Adults of each unit of the sample list, by name."""
    import csv

    with SAMPLE_UNITS.open(encoding="utf-8") as handle:
        return {row["name"]: int(row["adults"]) for row in csv.DictReader(handle) if row["adults"]}


async def _wait_text(demo: Demo, chat: int, after: int, needle: str, count: int = 1) -> list[Event]:
    """Wait until `count` events in a chat contain `needle`; return them (with photos before)."""
    found: list[Event] = []
    for _ in range(60):
        for event in await demo.client.events(chat, after=after, count=1, wait=1):
            after = event["seq"]
            if event["method"] in ("sendPhoto", "sendMediaGroup") or needle in (
                event.get("text") or ""
            ):
                found.append(event)
            if sum(needle in (e.get("text") or "") for e in found) >= count:
                return found
    raise RuntimeError(f"no message with {needle!r}")


async def act_good_models_and_commendation(demo: Demo) -> None:
    """Share a good model, approve and spread it; reach the target; send the commendations.

    A head shares a model with a photo, the officer approves and spreads it to every unit, the
    head reaches the target once, and the officer sends the period's commendation list.
    """
    demo.say("━━ 8. Lan tỏa cách làm hay, biểu dương đơn vị tiêu biểu ━━")
    names = list(demo.head_ids)
    name, reader = names[0], names[2]
    head = demo.head_ids[name]
    demo.user(f"Trưởng {name}", "/chiase")
    demo.bot(await demo.client.converse(head, "/chiase", first_name=f"Trưởng {name}"))
    demo.user(f"Trưởng {name}", "[gửi ảnh lớp học buổi tối]")
    after = await demo.client.last_seq()
    await demo.client.send_photo(head, _sign_up_photo())
    demo.bot(await demo.client.expect(head, after=after))
    text = (
        "Lớp học điện thoại buổi tối ở nhà văn hóa\n"
        "Tối thứ Bảy hằng tuần, đoàn viên thanh niên mang máy chiếu ra nhà văn hóa, hướng dẫn "
        "bà con cài VNeID và vào học trên nền tảng Bình dân học vụ số. Ai không có điện thoại "
        "thông minh thì học chung máy với con cháu."
    )
    demo.user(f"Trưởng {name}", text.replace("\n", " / "))
    photo, preview = await demo.client.converse(head, text, replies=2)
    demo.bot([photo, preview])
    demo.user(f"Trưởng {name}", "[bấm] 📤 Gửi")
    after = await demo.client.last_seq()
    sent = await demo.client.click(
        head, preview["message_id"], _button(preview, "📤 Gửi"), replies=2
    )
    demo.bot(sent[-1:])
    review = await _wait_text(demo, OFFICER_ID, after, "cần duyệt")
    demo.say("— Cán bộ xã nhận cách làm hay qua hộp thư đi (outbox):")
    demo.bot(review)
    demo.user("Cán bộ VHXH", "[bấm] ✅ Duyệt")
    before_approval = await demo.client.last_seq()
    approved = await demo.client.click(
        OFFICER_ID, review[-1]["message_id"], _button(review[-1], "✅ Duyệt"), replies=4
    )
    demo.bot(approved[1:])
    controls = approved[-1]
    demo.user("Cán bộ VHXH", "[bấm] 📢 Lan tỏa")
    after = await demo.client.last_seq()
    await demo.client.click(OFFICER_ID, controls["message_id"], _button(controls, "📢 Lan tỏa"))
    demo.bot([await _wait_summary(demo, controls)])
    demo.say(f"— Tin nhắn Trưởng {reader} nhận được (các đơn vị khác nhận giống hệt):")
    demo.bot(await _wait_text(demo, demo.head_ids[reader], after, "Mô hình hay"))
    demo.say(f"— Trưởng {name} nhận lời cảm ơn:")
    thanks = await _wait_text(demo, head, before_approval, "UBND xã duyệt")
    demo.bot(thanks[-1:])

    demo.say(f"— Trưởng {name} báo cáo đạt mục tiêu 90%; lời chúc mừng chỉ đến một lần:")
    adults = _sample_adults()[name]
    for enrolled in (-(-adults * 9 // 10), -(-adults * 9 // 10) + 5):
        demo.user(f"Trưởng {name}", f"/baocao {enrolled} 200")
        demo.bot(await demo.client.converse(head, f"/baocao {enrolled} 200"))

    demo.user("Cán bộ VHXH", "/bieuduong")
    [proposal] = await demo.client.converse(OFFICER_ID, "/bieuduong")
    demo.bot([proposal])
    demo.user("Cán bộ VHXH", "[bấm] 📤 Gửi biểu dương")
    after = await demo.client.last_seq()
    await demo.client.click(
        OFFICER_ID, proposal["message_id"], _button(proposal, "📤 Gửi biểu dương")
    )
    document = (await _wait_text(demo, OFFICER_ID, after, "Danh sách đề nghị biểu dương"))[-1]
    demo.bot([document])
    await _save_file(demo, document, "bieu-duong.pdf")
    demo.bot([await _wait_summary(demo, proposal)])
    demo.say(f"— Trưởng {reader} nhận danh sách biểu dương:")
    demo.bot(await _wait_text(demo, demo.head_ids[reader], after, "Biểu dương kỳ"), brief=True)
    demo.say(f"— Trưởng {name} nhận lời chúc mừng riêng:")
    demo.bot(await _wait_text(demo, head, after, f"Chúc mừng {name}"))


ACTS: list[Act] = [
    act_admin_setup,
    act_heads_register,
    act_heads_report,
    act_head_chats,
    act_two_way,
    act_broadcast,
    act_statistics,
    act_schedules,
    act_good_models_and_commendation,
]


def _sample_units_path() -> Path:
    """The sample unit list shipped in the repository's data/ folder."""
    return SAMPLE_UNITS


async def run_demo(out: Path, acts: list[Act] | None = None) -> int:
    """Run every act against a fresh sandbox and a temporary database."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="binhdan-demo-"))
    started = time.monotonic()
    try:
        async with running_sandbox(SandboxConfig()) as sandbox:
            # model_validate skips the environment and .env: the demo is fully self-contained.
            settings = Settings.model_validate(
                dict(
                    telegram_bot_token=sandbox.config.token,
                    telegram_base_url=sandbox.base_url,
                    telegram_base_file_url=sandbox.base_file_url,
                    database_url=await _database_url(workdir),
                    admin_ids=(ADMIN_ID,),
                )
            )
            await _prepare_database(settings)
            await _play(settings, sandbox.control_url, out, acts or ACTS)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nDemo xong trong {time.monotonic() - started:.1f} giây.")
    return 0


async def _database_url(workdir: Path) -> str:
    """DATABASE_URL when it names PostgreSQL, else a temporary SQLite file in `workdir`.

    A SQLite DATABASE_URL is the bot's own file, which the demo never touches. A PostgreSQL
    database must be empty: the demo registers 45 made-up heads and sends a letter to them.
    """
    configured = Settings().database_url
    if make_url(configured).get_backend_name() != "postgresql":
        return f"sqlite+aiosqlite:///{workdir / 'demo.db'}"
    engine = create_async_engine(configured, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
            used = "units" in tables and await connection.scalar(
                sa.text("SELECT 1 FROM units LIMIT 1")
            )
    finally:
        await engine.dispose()
    if used:
        raise CliError(N_("cli.demo_needs_empty_database"))
    return configured


async def _prepare_database(settings: Settings) -> None:
    """Migrate the temporary database and import the sample units."""
    await upgrade_to_head_async(settings.database_url)
    db = open_database(settings.database_url)
    try:
        await import_units_file(db, _sample_units_path())
    finally:
        await db.close()


async def _play(settings: Settings, control_url: str, out: Path, acts: list[Act]) -> None:
    """Start the real application on the sandbox and play each act."""
    application = build_application(settings)
    client = SandboxClient(control_url)
    try:
        async with polling(application):
            demo = Demo(client=client, application=application, out=out)
            for act in acts:
                await act(demo)
                demo.say()
    finally:
        await client.aclose()
