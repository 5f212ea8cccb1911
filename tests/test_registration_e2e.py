"""End-to-end: registration, invites, roles and menus through the real Application + sandbox."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.sandbox.client import SandboxClient
from bot.services.registry.role_words import role_from_text
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import AuditEvent, Invite, Role
from models.base import utcnow
from models.db import Database
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import contact_of, make_invite, snapshot

HEAD = 800_001
OTHER = 800_002
STRANGER = 800_099
VI = translator("vi")

SessionFactory = async_sessionmaker[AsyncSession]


async def test_head_registers_with_invite(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    code = await make_invite(session_factory, "T01")
    reply, keyboard = await client.converse(HEAD, f"/start {code}", replies=2, first_name="Ông Ba")
    assert "Đăng ký thành công" in reply["text"]
    assert "Thôn 1" in reply["text"]
    # The registration carries "📝 Báo cáo"; the keyboard under the text box follows.
    [[report]] = reply["reply_markup"]["inline_keyboard"]
    assert (report["text"], report["callback_data"]) == ("📝 Báo cáo", "report:start")
    assert keyboard["html"] == VI("keyboard.shown")
    shown = await client.reply_keyboard(HEAD)
    assert shown is not None and shown["is_persistent"] and shown["resize_keyboard"]
    assert [[b["text"] for b in row] for row in shown["keyboard"]] == [
        ["📝 Báo cáo", "📈 Tiến độ"],
        ["❓ Hướng dẫn"],
    ]
    contact = await contact_of(session_factory, HEAD)
    assert contact is not None
    assert contact.role == Role.HEAD
    assert contact.unit is not None and contact.unit.code == "T01"
    assert contact.display_name == "Ông Ba"
    menu = await client.commands(f"chat:{HEAD}")
    assert menu is not None
    assert {c["command"] for c in menu} >= {"start", "huongdan"}
    assert "phanquyen" not in {c["command"] for c in menu}


async def test_wrong_code_is_refused_and_changes_nothing(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    before = await snapshot(session_factory)
    [reply] = await client.converse(STRANGER, "/start khong-co-ma-nay")
    assert "Mã mời không đúng" in reply["text"]
    assert await snapshot(session_factory) == before


async def test_used_up_code_is_refused(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    code = await make_invite(session_factory, "T01", max_uses=1)
    await client.converse(HEAD, f"/start {code}", replies=2)
    before = await snapshot(session_factory)
    [reply] = await client.converse(OTHER, f"/start {code}")
    assert "hết lượt" in reply["text"]
    assert await contact_of(session_factory, OTHER) is None
    assert await snapshot(session_factory) == before


async def test_expired_and_revoked_codes_are_refused(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    expired = await make_invite(
        session_factory, "T01", ttl=timedelta(days=1), now=utcnow() - timedelta(days=2)
    )
    revoked = await make_invite(session_factory, "T02")
    async with session_factory.begin() as session:
        invite = await session.scalar(select(Invite).where(Invite.code == revoked))
        assert invite is not None
        invite.revoked = True
    [reply] = await client.converse(HEAD, f"/start {expired}")
    assert "hết hạn" in reply["text"]
    [reply] = await client.converse(HEAD, f"/start {revoked}")
    assert "thu hồi" in reply["text"]
    assert await contact_of(session_factory, HEAD) is None


async def test_code_of_another_unit_asks_before_moving_and_the_move_is_audited(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    first = await make_invite(session_factory, "T01")
    second = await make_invite(session_factory, "T02")
    await client.converse(HEAD, f"/start {first}", replies=2)
    before = await snapshot(session_factory)
    [question] = await client.converse(HEAD, f"/start {second}")
    assert question["html"] == VI("register.confirm_move", current="Thôn 1", unit="Thôn 2")
    move, stay = (row[0] for row in question["reply_markup"]["inline_keyboard"])
    assert (move["text"], stay["text"]) == ("Chuyển sang Thôn 2", "Giữ Thôn 1")
    # Nothing moves (and no use of the invite is counted) until the head confirms.
    assert await snapshot(session_factory) == before
    events = await client.click(HEAD, question["message_id"], move["callback_data"], replies=3)
    reply = next(e for e in events if e["method"] == "sendMessage")
    assert "Thôn 2" in reply["text"] and "chuyển từ" in reply["text"]
    assert any(e["method"] == "editMessageReplyMarkup" for e in events)
    contact = await contact_of(session_factory, HEAD)
    assert contact is not None and contact.unit is not None and contact.unit.code == "T02"
    async with session_factory() as session:
        events_ = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "invite.redeemed"))
        )
    assert events_[-1].details["moved_from"] == "T01"
    assert events_[-1].details["confirmed"] is True


async def test_keeping_the_unit_changes_nothing_but_the_audit_trail(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    first = await make_invite(session_factory, "T01")
    second = await make_invite(session_factory, "T02")
    await client.converse(HEAD, f"/start {first}", replies=2)
    [question] = await client.converse(HEAD, f"/start {second}")
    stay = question["reply_markup"]["inline_keyboard"][1][0]
    events = await client.click(HEAD, question["message_id"], stay["callback_data"], replies=2)
    reply = next(e for e in events if e["method"] == "sendMessage")
    assert reply["html"] == VI("register.kept", unit="Thôn 1")
    contact = await contact_of(session_factory, HEAD)
    assert contact is not None and contact.unit is not None and contact.unit.code == "T01"
    async with session_factory() as session:
        invite = await session.scalar(select(Invite).where(Invite.code == second))
        declined = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "invite.declined")
        )
    assert invite is not None and invite.uses == 0
    assert declined is not None and declined.details == {"unit": "T02", "kept": "T01"}
    # Pressing it again (a double tap) still moves nobody.
    await client.click(HEAD, question["message_id"], stay["callback_data"])
    contact = await contact_of(session_factory, HEAD)
    assert contact is not None and contact.unit is not None and contact.unit.code == "T01"


async def test_an_invite_counts_people_not_taps(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    code = await make_invite(session_factory, "T01", max_uses=2)
    await client.converse(HEAD, f"/start {code}", replies=2)
    [again] = await client.converse(HEAD, f"/start {code}")
    assert again["html"] == VI("register.already_head", unit="Thôn 1", role="")
    await client.converse(HEAD, f"/start {code}")
    await client.converse(OTHER, f"/start {code}", replies=2)
    async with session_factory() as session:
        invite = await session.scalar(select(Invite).where(Invite.code == code))
    assert invite is not None and invite.uses == 2
    # Used up for anyone new, but never for the people it already counted.
    [refused] = await client.converse(STRANGER, f"/start {code}")
    assert "hết lượt" in refused["text"]
    [still] = await client.converse(HEAD, f"/start {code}")
    assert "Thôn 1" in still["text"] and "hết lượt" not in still["text"]


async def test_an_admin_opening_a_unit_invite_is_not_attached_without_choosing(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    code = await make_invite(session_factory, "T02")
    before = await snapshot(session_factory)
    [question] = await client.converse(ADMIN_ID, f"/start {code}")
    assert question["html"] == VI("register.staff_choice", role="quản trị viên", unit="Thôn 2")
    assert await snapshot(session_factory) == before
    admin = await contact_of(session_factory, ADMIN_ID)
    assert admin is not None and admin.unit_id is None and admin.role == Role.ADMIN
    attach = question["reply_markup"]["inline_keyboard"][0][0]
    assert attach["text"] == "Gắn với Thôn 2"
    events = await client.click(
        ADMIN_ID, question["message_id"], attach["callback_data"], replies=2
    )
    reply = next(e for e in events if e["method"] == "sendMessage")
    assert reply["html"] == VI("register.staff_unit", unit="Thôn 2", role="quản trị viên")
    admin = await contact_of(session_factory, ADMIN_ID)
    assert admin is not None and admin.role == Role.ADMIN
    assert admin.unit is not None and admin.unit.code == "T02"


async def test_stranger_and_head_are_refused_admin_commands(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    code = await make_invite(session_factory, "T01")
    await client.converse(HEAD, f"/start {code}", replies=2)
    before = await snapshot(session_factory)
    for user, answer in ((STRANGER, VI("stranger.how_to")), (HEAD, VI("access.not_allowed"))):
        for command in ("/donvi", "/moi", f"/phanquyen {user} admin", "/moi T01"):
            [reply] = await client.converse(user, command)
            assert reply["html"] == answer
    assert await snapshot(session_factory) == before
    head = await contact_of(session_factory, HEAD)
    assert head is not None and head.role == Role.HEAD


async def test_role_change_updates_the_menu(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.converse(OTHER, "/start")
    after = await client.last_seq()
    [reply] = await client.converse(ADMIN_ID, f"/phanquyen {OTHER} officer")
    assert "cán bộ xã" in reply["text"]
    [notice] = await client.expect(OTHER, after=after)
    contact = await contact_of(session_factory, OTHER)
    assert contact is not None and contact.role == Role.OFFICER
    assert notice["chat_id"] == OTHER
    menu = await client.commands(f"chat:{OTHER}")
    assert menu is not None
    await client.converse(ADMIN_ID, f"/phanquyen {OTHER} admin")
    await client.expect(OTHER, after=after, count=2)
    admin_menu = await client.commands(f"chat:{OTHER}")
    assert admin_menu is not None
    assert {"donvi", "moi", "phanquyen"} <= {c["command"] for c in admin_menu}
    assert all(c["description"] for c in admin_menu)


async def test_grant_refuses_bad_input_without_change(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    before = await snapshot(session_factory)
    cases = {
        "/phanquyen": "Cú pháp",
        "/phanquyen abc officer": "phải là một số",
        "/phanquyen 123 vua": "Vai trò không hợp lệ",
        f"/phanquyen {ADMIN_ID} officer": "không thể tự bỏ",
        "/phanquyen 555 head": "chưa thuộc đơn vị",
    }
    for command, expected in cases.items():
        [reply] = await client.converse(ADMIN_ID, command)
        assert expected in reply["text"], command
    assert await snapshot(session_factory) == before


async def test_admin_ids_become_admins_with_menu(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    contact = await contact_of(session_factory, ADMIN_ID)
    assert contact is not None and contact.role == Role.ADMIN
    menu = await client.commands(f"chat:{ADMIN_ID}")
    assert menu is not None and "phanquyen" in {c["command"] for c in menu}
    default = await client.commands("all_private_chats")
    assert default is not None and "phanquyen" not in {c["command"] for c in default}


async def test_plain_start_greets_by_role_and_only_staff_and_strangers_see_their_id(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [reply] = await client.converse(STRANGER, "/start")
    assert str(STRANGER) in reply["text"] and "quét mã QR" in reply["text"]
    code = await make_invite(session_factory, "B01")
    await client.converse(HEAD, f"/start {code}", replies=2)
    [reply] = await client.converse(HEAD, "/start")
    assert "Buôn Ea Tih mẫu" in reply["text"]
    assert str(HEAD) not in reply["text"]
    assert reply["reply_markup"]["keyboard"][0][0]["text"] == "📝 Báo cáo"
    [reply] = await client.converse(ADMIN_ID, "/start")
    assert str(ADMIN_ID) in reply["text"]
    assert reply["reply_markup"]["keyboard"][0][0]["text"] == "📊 Thống kê"


async def test_restart_keeps_registrations(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    code = await make_invite(session_factory, "T02")
    first = build_application(make_settings())
    async with polling(first):
        await client.converse(HEAD, f"/start {code}", replies=2)
    second = build_application(make_settings())
    async with polling(second):
        [reply] = await client.converse(HEAD, "/start")
    assert "Thôn 2" in reply["text"]


async def test_moi_sends_link_and_qr_for_one_unit(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [photo] = await client.converse(ADMIN_ID, "/moi t01")
    assert photo["method"] == "sendPhoto"
    assert "https://t.me/binhdan_sandbox_bot?start=" in photo["text"]
    png = await client.download(photo["file_id"])
    assert png.startswith(b"\x89PNG")
    listing, sheet = await client.converse(ADMIN_ID, "/moi", replies=2)
    assert listing["text"].count("?start=") == 4
    assert sheet["method"] == "sendDocument" and sheet["file_name"] == "moi-tham-gia.pdf"
    [reply] = await client.converse(ADMIN_ID, "/moi KHONGCO")
    assert "Không tìm thấy đơn vị" in reply["text"]


async def test_edited_messages_are_ignored(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    after = await client.last_seq()
    await client.send(STRANGER, "/start", edited=True)
    [reply] = await client.converse(STRANGER, "/huongdan")
    events = await client.events(after=after)
    assert [e["seq"] for e in events] == [reply["seq"]]
    assert await contact_of(session_factory, STRANGER) is None


async def test_unit_names_are_escaped_in_html(
    app: BotApplication,
    client: SandboxClient,
    session_factory: SessionFactory,
    db: Database,
    tmp_path: Path,
) -> None:
    from bot.services.registry.units import import_units_file

    path = tmp_path / "evil.csv"
    path.write_text("code,name,kind,adults\nX1,Thôn <b>&,thon,10\n", encoding="utf-8")
    await import_units_file(db, path)
    code = await make_invite(session_factory, "X1")
    reply, _ = await client.converse(HEAD, f"/start {code}", replies=2)
    assert "Thôn <b>&" in reply["text"]


async def test_officer_invite_is_single_use(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [photo] = await client.converse(ADMIN_ID, "/moi canbo")
    code = photo["text"].split("?start=", 1)[1].split()[0]
    [reply] = await client.converse(OTHER, f"/start {code}")
    assert "cán bộ xã" in reply["text"]
    contact = await contact_of(session_factory, OTHER)
    assert contact is not None and contact.role == Role.OFFICER and contact.unit_id is None
    [reply] = await client.converse(STRANGER, f"/start {code}")
    assert "hết lượt" in reply["text"]


async def test_regenerating_revokes_the_old_code(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    [old] = await client.converse(ADMIN_ID, "/moi T01")
    old_code = old["text"].split("?start=", 1)[1].split()[0]
    [notice, new] = await client.converse(ADMIN_ID, "/moi T01 lammoi", replies=2)
    assert "thu hồi" in notice["text"]
    new_code = new["text"].split("?start=", 1)[1].split()[0]
    assert new_code != old_code
    [reply] = await client.converse(HEAD, f"/start {old_code}")
    assert "thu hồi" in reply["text"]
    reply, _ = await client.converse(HEAD, f"/start {new_code}", replies=2)
    assert "Đăng ký thành công" in reply["text"]


async def test_errors_get_a_polite_apology_without_details(
    app: BotApplication, client: SandboxClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.units

    async def explode(*_: object, **__: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(handlers.units, "list_directory", explode)
    [reply] = await client.converse(ADMIN_ID, "/donvi")
    assert "sự cố" in reply["text"]
    assert "secret" not in reply["text"] and "RuntimeError" not in reply["text"]


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("quản trị", Role.ADMIN),
        ("Quản Trị Viên", Role.ADMIN),
        ("quan tri", Role.ADMIN),
        ("admin", Role.ADMIN),
        ("cán bộ", Role.OFFICER),
        ("CÁN BỘ XÃ", Role.OFFICER),
        ("can  bo", Role.OFFICER),
        (unicodedata.normalize("NFD", "cán bộ"), Role.OFFICER),
        ("officer", Role.OFFICER),
        ("trưởng thôn", Role.HEAD),
        ("truong thon", Role.HEAD),
        ("Trưởng buôn", Role.HEAD),
        ("head", Role.HEAD),
        ("vua", None),
        ("cán", None),
    ],
)
def test_role_words_with_or_without_diacritics(text: str, role: Role | None) -> None:
    assert role_from_text(text) == role


async def test_phanquyen_takes_vietnamese_role_words(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    code = await make_invite(session_factory, "T01")
    await client.converse(HEAD, f"/start {code}")
    await client.converse(OTHER, "/start")
    for command, role in (
        (f"/phanquyen {OTHER} cán bộ", Role.OFFICER),
        (f"/phanquyen {OTHER} quan tri", Role.ADMIN),
        (f"/phanquyen {HEAD} Cán Bộ Xã", Role.OFFICER),
        (f"/phanquyen {HEAD} truong thon", Role.HEAD),
    ):
        [reply] = await client.converse(ADMIN_ID, command)
        assert reply["text"].startswith("✅"), command
        user = int(command.split()[1])
        contact = await contact_of(session_factory, user)
        assert contact is not None and contact.role == role, command
