"""End-to-end: one deployment for a province (issue 25).

Two communes, each with a head and its own officer, a province officer and an admin. A
commune officer sees and acts on their own commune only, whatever they type or forge; the
province sees every commune and drills down into one.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.sandbox.client import SandboxClient
from bot.services.registry.contacts import PROVINCE, grant
from bot.services.registry.units import import_units_file
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import (
    Commune,
    Contact,
    Delivery,
    Directive,
    GoodModel,
    GoodModelStatus,
    Role,
    Schedule,
    ScheduleKind,
    Thread,
    ThreadStatus,
    Unit,
    scope,
)
from models.db import Database
from tests.cli_helpers import run_cli_async
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import button_data, labels, register, snapshot, until, until_said

SessionFactory = async_sessionmaker[AsyncSession]
VI = translator("vi")
PROVINCE_CSV = """code,name,kind,adults,commune_code,commune_name
A01,Thôn 1,thon,1000,24001,Xã Ea Knốp
A02,Buôn Ea Tih,buon,600,24001,Xã Ea Knốp
B01,Thôn 1,thon,800,24002,Xã Ea Kar
B02,Công an xã Ea Kar,co_quan,40,24002,Xã Ea Kar
"""
HEAD_A, HEAD_B = 896_001, 896_002
OFFICER_A, OFFICER_B, PROVINCE_OFFICER = 896_101, 896_102, 896_103
SEND = "📨 Gửi cho cán bộ xã"


@pytest.fixture
async def communes(db: Database, tmp_path: Path) -> None:
    """The two communes imported, with an officer each and a province officer."""
    path = tmp_path / "tinh.csv"
    path.write_text(PROVINCE_CSV, encoding="utf-8")
    await import_units_file(db, path)
    officers = ((OFFICER_A, "24001"), (OFFICER_B, "24002"), (PROVINCE_OFFICER, PROVINCE))
    for user, covers in officers:
        await grant(db, actor_user_id=None, user_id=user, role=Role.OFFICER, scope=covers)


@pytest.fixture
async def province(
    communes: None,
    make_settings: SettingsFactory,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> AsyncIterator[BotApplication]:
    """The communes' heads registered and reporting, the bot polling the sandbox."""
    application = build_application(make_settings())
    async with polling(application):
        await register(client, session_factory, HEAD_A, "A01")
        await register(client, session_factory, HEAD_B, "B01")
        await client.open_chats([OFFICER_A, OFFICER_B, PROVINCE_OFFICER, ADMIN_ID])
        await client.converse(HEAD_A, "/baocao 300 10")
        await client.converse(HEAD_B, "/baocao 500 20")
        # B's report crossed half: its officer's milestone line comes through the outbox and
        # must not be read as the answer a test waits for.
        await until_said(client, OFFICER_B, "vừa đạt mốc 50%")
        yield application


async def _commune_id(session_factory: SessionFactory, code: str) -> int:
    async with session_factory() as session:
        commune_id = await session.scalar(select(Commune.id).where(Commune.code == code))
    assert commune_id is not None
    return commune_id


async def test_a_commune_officer_sees_their_own_commune_only(
    province: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    summary, _chart = await client.converse(OFFICER_A, "/thongke", replies=2)
    assert "Ea Knốp" in summary["text"] and "Ea Kar" not in summary["text"]
    assert "Đã đăng ký học: 300" in summary["text"]
    [detail] = await client.click(OFFICER_A, summary["message_id"], "stats:detail:0")
    assert "Buôn Ea Tih" in detail["text"] and "Công an xã Ea Kar" not in detail["text"]
    # A drill-down's button forged with commune B's id still shows A's own units.
    forged = f"stats:detail:0:{await _commune_id(session_factory, '24002')}"
    [still_own] = await client.click(OFFICER_A, summary["message_id"], forged)
    assert "Buôn Ea Tih" in still_own["text"] and "Công an xã Ea Kar" not in still_own["text"]
    [refused] = await client.converse(OFFICER_A, "/thongke 24002")
    assert refused["html"] == VI("province.not_yours", code="24002")
    late = await client.converse(OFFICER_A, "/chuabaocao", settle=1.0)
    shown = " ".join([*(event["text"] or "" for event in late), *(str(labels(e)) for e in late)])
    assert "1/2 đơn vị" in shown and "Buôn Ea Tih" in shown and "Ea Kar" not in shown
    workbook, _pdf = await client.converse(OFFICER_A, "/xuatexcel", replies=2)
    sheet = load_workbook(io.BytesIO(await client.download(workbook["file_id"]))).active
    assert sheet is not None
    cells = " ".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value)
    assert "Buôn Ea Tih" in cells and "XÃ EA KNỐP" in cells.upper()
    assert "Công an xã Ea Kar" not in cells and "800" not in cells


async def test_a_commune_officers_directive_reaches_their_commune_only(
    province: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    _preview, control = await client.converse(
        OFFICER_A, "/thongbao Họp trưởng thôn 8 giờ", replies=2
    )
    assert "2 đơn vị, 1 người nhận" in control["text"]  # its own two units, not four
    after = await client.last_seq()
    await client.click(OFFICER_A, control["message_id"], button_data(control, "📤 Gửi"))
    [received] = await client.expect(HEAD_A, after=after)
    assert received["text"].startswith("📢 THÔNG BÁO CỦA UBND XÃ EA KNỐP")  # its commune speaks
    assert "Họp trưởng thôn" in received["text"]
    assert not [e for e in await client.events(HEAD_B, after=after) if "Họp" in (e["text"] or "")]
    async with session_factory() as session:
        directive = await session.scalar(select(Directive).where(Directive.body.contains("Họp")))
    assert directive is not None
    assert directive.commune_id == await _commune_id(session_factory, "24001")


async def test_a_heads_words_reach_their_communes_officer_and_no_other_can_touch_them(
    province: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [offer] = await client.converse(HEAD_B, "Xã mình có lớp học buổi tối không?")
    after = await client.last_seq()
    await client.click(HEAD_B, offer["message_id"], button_data(offer, SEND), replies=2)
    [to_officer] = await client.expect(OFFICER_B, after=after)
    assert "Thôn 1" in to_officer["text"]
    for other in (OFFICER_A, PROVINCE_OFFICER, ADMIN_ID):
        assert not await client.events(other, after=after), other
    async with session_factory() as session:
        thread = await session.scalar(select(Thread))
    assert thread is not None
    # Commune A's officer forges B's thread buttons and directive list: nothing is found.
    unchanged = await snapshot(session_factory)
    [own] = await client.converse(OFFICER_A, "/phanhoi")
    assert "Thôn 1" not in own["text"]
    for forged in (f"thread:answer:{thread.id}", f"thread:done:{thread.id}"):
        after = await client.last_seq()
        await client.press(OFFICER_A, own["message_id"], forged)
        [answer] = await client.expect(OFFICER_A, after=after)
        assert answer["text"] == VI.plain("thread.gone"), forged
    async with session_factory() as session:
        status = await session.scalar(select(Thread.status).where(Thread.id == thread.id))
    assert status == ThreadStatus.OPEN
    assert await snapshot(session_factory) == unchanged


async def test_a_province_officers_directive_speaks_for_the_province_to_every_commune(
    province: None, client: SandboxClient
) -> None:
    _preview, control = await client.converse(
        PROVINCE_OFFICER, "/thongbao Tổng kết quý tại tỉnh", replies=2
    )
    assert "4 đơn vị, 2 người nhận" in control["text"]
    after = await client.last_seq()
    await client.click(PROVINCE_OFFICER, control["message_id"], button_data(control, "📤 Gửi"))
    for head in (HEAD_A, HEAD_B):
        [received] = await client.expect(head, after=after)
        assert received["text"].startswith("📢 THÔNG BÁO CỦA BAN CHỈ ĐẠO TỈNH ĐẮK LẮK")
    # The summary rolls acknowledgements up per commune.
    await client.click(HEAD_B, received["message_id"], button_data(received, "✅ Đã nhận"))

    async def rolled_up() -> bool:
        events = await client.events(PROVINCE_OFFICER, after=after)
        return any("Xã Ea Kar: 1/1 đã nhận" in (e["text"] or "") for e in events)

    await until(rolled_up, what="the summary per commune")
    # Its summary does not call the province's directive a commune's.
    await until_said(client, PROVINCE_OFFICER, "Đã gửi xong: Thông báo chỉ đạo", after=after)


async def _audience(client: SandboxClient, text: str, choice: str) -> dict[str, Any]:
    """The province officer composes `text` and opens the audience choices, then `choice`."""
    _preview, control = await client.converse(PROVINCE_OFFICER, text, replies=2)
    audience = next(label for label in labels(control) if label.startswith("👥"))
    [choices] = await client.click(
        PROVINCE_OFFICER, control["message_id"], button_data(control, audience)
    )
    assert choice in labels(choices)
    [answer] = await client.click(
        PROVINCE_OFFICER, choices["message_id"], button_data(choices, choice)
    )
    return answer


async def test_a_province_directive_goes_to_chosen_communes_or_their_officers_only(
    province: None, client: SandboxClient
) -> None:
    ask = await _audience(client, "/thongbao Họp riêng xã Ea Kar", "🏘 Chọn xã, phường")
    assert ask["html"] == VI("audience.ask_communes")
    [unknown] = await client.converse(PROVINCE_OFFICER, "24002 99999")
    assert unknown["html"] == VI("audience.unknown_communes", codes="99999")
    _old, _preview, control = await client.converse(PROVINCE_OFFICER, "24002", replies=3)
    assert "Mọi đơn vị của các xã 24002 — 2 đơn vị, 1 người nhận" in control["text"]
    after = await client.last_seq()
    await client.click(PROVINCE_OFFICER, control["message_id"], button_data(control, "📤 Gửi"))
    [received] = await client.expect(HEAD_B, after=after)
    assert "Họp riêng xã Ea Kar" in received["text"]
    assert not [e for e in await client.events(HEAD_A, after=after) if "Họp" in (e["text"] or "")]
    # The first send's summary edit must not land among the next composition's replies.
    await until_said(client, PROVINCE_OFFICER, "Đã gửi xong", after=after)
    # Only the communes' officers: their two officers, no head.
    *_shown, control = await _audience_officers(client)
    assert "Cán bộ các xã, phường — 0 đơn vị, 2 người nhận" in control["text"]
    after = await client.last_seq()
    await client.click(PROVINCE_OFFICER, control["message_id"], button_data(control, "📤 Gửi"))
    for officer in (OFFICER_A, OFFICER_B):
        [received] = await client.expect(officer, after=after)
        assert "Giao ban cán bộ" in received["text"]
    for head in (HEAD_A, HEAD_B):
        assert not [
            e for e in await client.events(head, after=after) if "Giao ban" in (e["text"] or "")
        ]


async def _audience_officers(client: SandboxClient) -> list[dict[str, Any]]:
    """A directive to the communes' officers only, up to its preview."""
    _preview, control = await client.converse(
        PROVINCE_OFFICER, "/thongbao Giao ban cán bộ các xã", replies=2
    )
    audience = next(label for label in labels(control) if label.startswith("👥"))
    [choices] = await client.click(
        PROVINCE_OFFICER, control["message_id"], button_data(control, audience)
    )
    return await client.click(
        PROVINCE_OFFICER,
        choices["message_id"],
        button_data(choices, "👮 Chỉ cán bộ các xã"),
        replies=3,
    )


async def test_the_province_ranks_every_commune_and_drills_down(
    province: None, client: SandboxClient
) -> None:
    [overview] = await client.converse(PROVINCE_OFFICER, "/thongke")
    text = overview["text"]
    assert text.startswith("📊 Tiến độ Bình dân học vụ số — tỉnh Đắk Lắk")
    assert "Đã đăng ký học: 800/2.400 người trưởng thành (33,3%)" in text
    # Ea Kar (62,5 %) ranks above Ea Knốp (18,8 %); each reported 1 of its 2 units.
    assert text.index("1. Xã Ea Kar (24002): 62,5%") < text.index("2. Xã Ea Knốp (24001): 18,8%")
    assert "· 1/2 ·" in text
    summary, _chart = await client.converse(PROVINCE_OFFICER, "/thongke 24002", replies=2)
    assert "Ea Kar" in summary["text"] and "Đã đăng ký học: 500" in summary["text"]
    # A drill-down's only button reads, and reads that commune's units.
    assert labels(summary) == ["📋 Chi tiết"]
    [detail] = await client.click(
        PROVINCE_OFFICER, summary["message_id"], button_data(summary, "📋 Chi tiết")
    )
    assert "Công an xã Ea Kar" in detail["text"] and "Buôn Ea Tih" not in detail["text"]
    [unknown] = await client.converse(PROVINCE_OFFICER, "/thongke 99999")
    assert unknown["html"] == VI("province.unknown", code="99999")


async def test_the_province_report_has_a_row_per_commune_then_each_communes_sheet(
    province: None, client: SandboxClient
) -> None:
    document, printed = await client.converse(PROVINCE_OFFICER, "/xuatexcel", replies=2)
    assert document["file_name"].startswith("bao-cao-tinh-")
    assert printed["file_name"].endswith(".pdf"), printed
    reader = PdfReader(io.BytesIO(await client.download(printed["file_id"])))
    ranking = reader.pages[0].extract_text()
    assert ranking.index("Xã Ea Kar") < ranking.index("Xã Ea Knốp") and "TỔNG CỘNG" in ranking
    rest = " ".join(page.extract_text() for page in reader.pages[1:])
    assert "XÃ EA KAR" in rest.upper() and "XÃ EA KNỐP" in rest.upper()  # each commune's report
    workbook = load_workbook(io.BytesIO(await client.download(document["file_id"])))
    assert workbook.sheetnames == ["Toàn tỉnh", "24001 Ea Knốp", "24002 Ea Kar"]
    overview = workbook["Toàn tỉnh"]
    rows = [[cell.value for cell in row] for row in overview.iter_rows(min_row=5, max_row=7)]
    # Ranked by share as /thongke ranks them; "on time" depends on today's deadline.
    first, second, total = rows
    assert first[:5] + first[6:8] == [1, "24002", "Xã Ea Kar", 2, 1, 800, 500]
    assert second[:5] + second[6:8] == [2, "24001", "Xã Ea Knốp", 2, 1, 1600, 300]
    assert (
        total[2] == "TỔNG CỘNG" and total[6] == "=SUM(G5:G6)" and total[8] == '=IF(G7>0,H7/G7,"")'
    )

    ea_kar = " ".join(
        str(cell.value)
        for row in workbook["24002 Ea Kar"].iter_rows()
        for cell in row
        if cell.value
    )
    assert "Thôn 1" in ea_kar and "Công an xã Ea Kar" in ea_kar and "Buôn Ea Tih" not in ea_kar


async def test_the_province_sees_late_communes_and_reminds_their_officers(
    province: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [late] = await client.converse(PROVINCE_OFFICER, "/chuabaocao")
    assert "Xã Ea Knốp (24001): 1/2 đơn vị chưa báo cáo" in late["text"]
    assert "Xã Ea Kar (24002): 1/2 đơn vị chưa báo cáo" in late["text"]
    after = await client.last_seq()
    [answer] = await client.click(
        PROVINCE_OFFICER, late["message_id"], button_data(late, "🔔 Nhắc cán bộ Xã Ea Kar")
    )
    assert answer["text"] == VI.plain("province.nudged", name="Xã Ea Kar", officers=1)
    [reminder] = await client.expect(OFFICER_B, after=after)
    assert reminder["text"].startswith("🔔 Ban chỉ đạo tỉnh nhắc: Xã Ea Kar còn 1/2 đơn vị")
    assert not await client.events(OFFICER_A, after=after)
    # A commune officer forging the province's button for another commune reaches nobody.
    [own] = await client.converse(OFFICER_A, "/chuabaocao")
    after = await client.last_seq()
    await client.press(OFFICER_A, own["message_id"], "province:nudge:24002")
    [refused] = await client.expect(OFFICER_A, after=after)
    assert refused["text"] == VI.plain("province.unknown", code="24002")
    assert not await client.events(OFFICER_B, after=after)
    # The commune layout's buttons, old or forged, never act on the whole province.
    after = await client.last_seq()
    await client.press(PROVINCE_OFFICER, late["message_id"], "stats:nudge")
    [whole] = await client.expect(PROVINCE_OFFICER, after=after)
    assert whole["text"] == VI.plain("province.nudge_by_commune")
    # The drill-down lists the commune's units, without a "Nhắc ngay" that would chase all.
    drilled = await client.converse(PROVINCE_OFFICER, "/chuabaocao 24001", settle=0.5)
    shown = " ".join(str(labels(event)) + (event["text"] or "") for event in drilled)
    assert "Buôn Ea Tih" in shown and "Ea Kar" not in shown and "Nhắc ngay" not in shown


async def test_the_provinces_digest_goes_by_commune_to_the_province_only(
    province: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    from scheduler.jobs import run_now

    async with session_factory() as session:
        digest = await session.scalar(
            select(Schedule.id).where(Schedule.kind == ScheduleKind.DIGEST)
        )
    assert digest is not None
    after = await client.last_seq()
    assert await run_now(province, digest) == 2  # the province officer and the admin
    [message] = await client.expect(PROVINCE_OFFICER, after=after)
    assert message["text"].startswith("📊 Bản tin Bình dân học vụ số — tỉnh Đắk Lắk")
    assert "• Xã Ea Kar (24002): 1/2 đơn vị đã báo cáo" in message["text"]
    async with session_factory() as session:
        reached = set(
            await session.scalars(
                select(Contact.telegram_user_id)
                .join(Delivery, Delivery.contact_id == Contact.id)
                .join(Directive, Directive.id == Delivery.directive_id)
                .where(Directive.body_key == "message.province_digest")
            )
        )
    assert reached == {PROVINCE_OFFICER, ADMIN_ID}  # not each commune's officers


async def test_the_province_spreads_a_communes_good_model_to_the_others_once(
    province: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    async with session_factory.begin() as session:
        unit = await session.scalar(select(Unit).where(Unit.code == "A01"))
        assert unit is not None
        model = GoodModel(
            unit_id=unit.id,
            author_user_id=HEAD_A,
            title="Lớp học buổi tối",
            body="Bà con học cùng con cháu.",
            status=GoodModelStatus.SPREAD,
        )
        session.add(model)
        await session.flush()
        model_id = model.id
    forged = f"model:province:{model_id}"
    [anchor] = await client.converse(OFFICER_A, "/huongdan")
    after = await client.last_seq()
    await client.press(OFFICER_A, anchor["message_id"], forged)
    [refused] = await client.expect(OFFICER_A, after=after)
    assert refused["text"] == VI.plain("model.province_not_province")
    [listing] = await client.converse(PROVINCE_OFFICER, "/mohinh")
    shown = await client.click(
        PROVINCE_OFFICER, listing["message_id"], f"model:show:{model_id}", replies=2
    )
    offer = shown[-1]
    assert offer["html"] == VI("model.province_offer")
    after = await client.last_seq()
    *_, done = await client.click(
        PROVINCE_OFFICER, offer["message_id"], button_data(offer, "📢 Lan tỏa toàn tỉnh"), replies=2
    )
    assert done["html"] == VI(
        "model.province_done", title="Lớp học buổi tối", unit="Thôn 1", recipients=1
    )
    [received] = await client.expect(HEAD_B, after=after)
    assert received["text"].startswith("🌟 Mô hình hay — Thôn 1 (Xã Ea Knốp): Lớp học buổi tối")
    assert "Ban chỉ đạo tỉnh Đắk Lắk giới thiệu" in received["text"]
    assert not [
        e for e in await client.events(HEAD_A, after=after) if "Mô hình" in (e["text"] or "")
    ]
    after = await client.last_seq()
    await client.press(PROVINCE_OFFICER, offer["message_id"], forged)
    [again] = await client.expect(PROVINCE_OFFICER, after=after)
    assert again["text"] == VI.plain("model.province_already")


async def test_the_province_commends_communes_to_their_officers_once(
    province: BotApplication, client: SandboxClient
) -> None:
    [proposal] = await client.converse(PROVINCE_OFFICER, "/bieuduong")
    text = proposal["text"]
    assert text.index("🥇 1. Xã Ea Kar") < text.index("🥈 2. Xã Ea Knốp")
    assert "xếp thứ 1 về tỷ lệ người trưởng thành đăng ký học (62,5%)" in text
    after = await client.last_seq()
    send = button_data(proposal, "📤 Gửi tới cán bộ các xã")
    [answer] = await client.click(PROVINCE_OFFICER, proposal["message_id"], send)
    assert answer["text"] == VI.plain("province.commend.sent", officers=2)
    for officer in (OFFICER_A, OFFICER_B):
        [listed] = await client.expect(officer, after=after)
        assert listed["text"].startswith("🏆 Ban chỉ đạo tỉnh Đắk Lắk biểu dương các xã, phường")
    for head in (HEAD_A, HEAD_B):
        assert not [e for e in await client.events(head, after=after) if "🏆" in (e["text"] or "")]
    after = await client.last_seq()
    await client.press(PROVINCE_OFFICER, proposal["message_id"], send)  # a second press

    async def expired() -> bool:
        events = await client.events(PROVINCE_OFFICER, after=after)
        return any(e["text"] == VI.plain("button.expired") for e in events)

    await until(expired, what="the second press answered as expired")
    after = await client.last_seq()
    await client.converse(PROVINCE_OFFICER, "/huongdan")  # the outbox has had its turn
    for officer in (OFFICER_A, OFFICER_B):  # and the list went once
        assert not [
            e for e in await client.events(officer, after=after) if "🏆" in (e["text"] or "")
        ]
    # A commune officer's /bieuduong is still their commune's own list of units.
    [own] = await client.converse(OFFICER_A, "/bieuduong")
    assert own["text"].startswith("🏆 Đề nghị biểu dương kỳ") and "Ea Kar" not in own["text"]


async def test_a_job_never_runs_in_the_scope_of_the_update_that_armed_its_timer(
    province: BotApplication, client: SandboxClient
) -> None:
    seen: list[int | None] = []

    async def probe(_context: object) -> None:
        seen.append(scope.current_commune.get())

    queue = province.job_queue
    assert queue is not None
    queue.run_once(probe, 2.0)
    # A head's conversation step adds its time-out job, re-arming the scheduler's timer
    # inside that head's update, narrowed to commune A.
    await client.converse(HEAD_A, "/baocao")
    await until(lambda: seen, what="the job")
    assert seen == [None]


async def test_an_officer_the_province_has_not_placed_sees_nothing(
    province: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    # An officer from before the communes (no commune, no province-wide grant).
    unplaced = 896_400
    async with session_factory.begin() as session:
        session.add(Contact(telegram_user_id=unplaced, chat_id=unplaced, role=Role.OFFICER))
    await client.open_chats([unplaced])
    [refused] = await client.converse(unplaced, "/thongke")
    assert refused["html"] == VI("access.no_scope")
    # An officer invite with a scope places them, even one already an officer (here the
    # province officer, narrowed to one commune by the admin's new link).
    [invite] = await client.converse(ADMIN_ID, "/moi canbo 24002")
    code = invite["text"].split("?start=")[1].split()[0]
    await client.converse(PROVINCE_OFFICER, f"/start {code}")
    async with session_factory() as session:
        moved = await session.scalar(
            select(Contact).where(Contact.telegram_user_id == PROVINCE_OFFICER)
        )
    assert moved is not None and not moved.province_wide
    assert moved.commune_id == await _commune_id(session_factory, "24002")
    summary, _chart = await client.converse(PROVINCE_OFFICER, "/thongke", replies=2)
    assert "Ea Kar" in summary["text"] and "Ea Knốp" not in summary["text"]


async def test_grants_and_invites_carry_their_scope(
    province: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    newcomer = 896_200
    for words, key in (
        ("cán bộ", "grant.scope_needed"),
        ("cán bộ 99999", "grant.unknown_commune"),
        ("cán bộ 123", "grant.bad_commune_code"),
        ("quản trị 24001", "grant.scope_for_officers"),
    ):
        unchanged = await snapshot(session_factory)
        [refused] = await client.converse(ADMIN_ID, f"/phanquyen {newcomer} {words}")
        assert refused["html"] == VI(key), words
        assert await snapshot(session_factory) == unchanged
    [done] = await client.converse(ADMIN_ID, f"/phanquyen {newcomer} cán bộ 24002")
    assert done["html"].endswith("phạm vi: <b>24002</b>.")
    async with session_factory() as session:
        contact = await session.scalar(select(Contact).where(Contact.telegram_user_id == newcomer))
    assert contact is not None and contact.commune_id == await _commune_id(session_factory, "24002")
    # /moi canbo CODE: whoever joins with it is that commune's officer.
    [invite] = await client.converse(ADMIN_ID, "/moi canbo 24001")
    code = invite["text"].split("?start=")[1].split()[0]
    joiner = 896_201
    [joined_reply] = await client.converse(joiner, f"/start {code}")
    assert "cán bộ xã" in joined_reply["text"]
    async with session_factory() as session:
        joined = await session.scalar(select(Contact).where(Contact.telegram_user_id == joiner))
    assert joined is not None and joined.role == Role.OFFICER
    assert joined.commune_id == await _commune_id(session_factory, "24001")
    [bad] = await client.converse(ADMIN_ID, "/moi canbo 2400")
    assert bad["html"] == VI("grant.bad_commune_code")


async def test_the_cli_grants_a_commune_officer_and_refuses_a_bad_scope(
    communes: None, db_url: str, session_factory: SessionFactory
) -> None:
    done = await run_cli_async(
        ["grant", "896300", "officer", "--commune", "24001"], DATABASE_URL=db_url
    )
    assert done.returncode == 0, done.stderr
    unknown = await run_cli_async(
        ["grant", "896301", "officer", "--commune", "99999"], DATABASE_URL=db_url
    )
    assert unknown.returncode == 2 and unknown.stderr.strip() == "binhdan: " + VI.plain(
        "grant.unknown_commune"
    )
    shape = await run_cli_async(
        ["grant", "896301", "officer", "--commune", "abc"], DATABASE_URL=db_url
    )
    assert shape.returncode == 2 and shape.stderr.strip() == "binhdan: " + VI.plain(
        "grant.bad_commune_code"
    )
    expected = await _commune_id(session_factory, "24001")
    async with session_factory() as session:
        contact = await session.scalar(select(Contact).where(Contact.telegram_user_id == 896_300))
        refused = await session.scalar(select(Contact).where(Contact.telegram_user_id == 896_301))
    assert contact is not None and contact.commune_id == expected
    assert refused is None


async def test_the_cli_reads_one_commune_with_commune(
    communes: None, db_url: str, tmp_path: Path
) -> None:
    listed = await run_cli_async(["units", "list", "--commune", "24002"], DATABASE_URL=db_url)
    assert listed.returncode == 0, listed.stderr
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["B01", "B02"]
    report = tmp_path / "ea-kar.xlsx"
    exported = await run_cli_async(
        ["export", str(report), "--commune", "24002"], DATABASE_URL=db_url
    )
    assert exported.returncode == 0, exported.stderr
    sheet = load_workbook(report).active
    assert sheet is not None
    cells = " ".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value)
    assert "EA KAR" in cells.upper() and "Công an xã Ea Kar" in cells and "Buôn Ea Tih" not in cells
    merged = await run_cli_async(["units", "merge", "A01", "B01", "--yes"], DATABASE_URL=db_url)
    assert merged.returncode == 2
    assert merged.stderr.strip() == "binhdan: " + VI.plain("cli.merge.other_commune", code="A01")
    unknown = await run_cli_async(["units", "list", "--commune", "99999"], DATABASE_URL=db_url)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "binhdan: " + VI.plain("province.unknown", code="99999")


async def test_a_ward_speaks_as_a_ward_not_as_xa_phuong(
    province: None, client: SandboxClient, session_factory: SessionFactory
) -> None:
    async with session_factory.begin() as session:
        await session.execute(
            update(Commune).where(Commune.code == "24002").values(name="Phường Tân An")
        )
    summary, _chart = await client.converse(OFFICER_B, "/thongke", replies=2)
    assert summary["text"].startswith("📊 Kết quả Bình dân học vụ số — phường Tân An\n")
    _preview, control = await client.converse(OFFICER_B, "/thongbao Họp tổ dân phố", replies=2)
    after = await client.last_seq()
    await client.click(OFFICER_B, control["message_id"], button_data(control, "📤 Gửi"))
    [received] = await client.expect(HEAD_B, after=after)
    assert received["text"].startswith("📢 THÔNG BÁO CỦA UBND PHƯỜNG TÂN AN\n")
    assert "XÃ PHƯỜNG" not in received["text"]
    # The head's help names the head's own ward, not the deployment's COMMUNE_NAME.
    [help_] = await client.converse(HEAD_B, "/huongdan")
    assert "“Bình dân học vụ số” phường Tân An" in help_["text"]
