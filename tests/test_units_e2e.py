"""End-to-end: /donvi lists units by group, and a unit's card changes it from the phone (issue 23).

As an admin would: open the card, remove a head (asked first), fix the adults and the name,
send a new invite, archive the unit. Bad input gets one line and changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import SandboxClient
from bot.services.registry.units import find_unit
from bot.telegram.context import BotApplication
from bot.texts import translator
from bot.texts.labels import role_label
from models import AuditEvent, Contact, ContactStatus, Invite, Role, Thread, ThreadStatus
from tests.conftest import ADMIN_ID
from tests.helpers import button_data, contact_of, labels, register, snapshot, until_said

SessionFactory = async_sessionmaker[AsyncSession]
VI = translator("vi")
HEAD = 891_001


async def _unit(session_factory: SessionFactory, code: str) -> Any:
    async with session_factory() as session:
        return await find_unit(session, code)


async def _events(session_factory: SessionFactory, action: str) -> list[dict[str, Any]]:
    async with session_factory() as session:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return [dict(e.details, actor=e.actor_user_id) for e in rows]


async def _card(client: SandboxClient, code: str = "T01") -> dict[str, Any]:
    [card] = await client.converse(ADMIN_ID, f"/donvi {code}")
    return card


async def test_the_list_is_grouped_and_a_pressed_unit_opens_its_card(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    [page] = await client.converse(ADMIN_ID, "/donvi")
    text = page["text"]
    assert text.startswith("Đơn vị (4) · trang 1/1")
    # Thôn and buôn first (by code), then agencies.
    assert text.index("Thôn, buôn") < text.index("B01") < text.index("T01") < text.index("T02")
    assert text.index("T02") < text.index("Cơ quan, trường học") < text.index("CA")
    assert labels(page) == ["Buôn Ea Tih mẫu", "Thôn 1", "Thôn 2", "Công an xã", "1/1"]
    [card] = await client.click(ADMIN_ID, page["message_id"], button_data(page, "Thôn 1"))
    assert card["html"].startswith(VI("units.card.title", name="Thôn 1", code="T01"))
    assert VI("units.card.facts", kind="Thôn", adults="1.000") in card["html"]
    member = VI(
        "units.card.member", name="Trưởng T01", role=role_label(VI, Role.HEAD), user_id=str(HEAD)
    )
    assert member in card["html"]
    assert labels(card) == [
        "🚫 Gỡ Trưởng T01", "✏️ Số người lớn", "✏️ Tên", "🔗 Mã mời mới", "🗄 Ngừng theo dõi",
    ]  # fmt: skip
    [unknown] = await client.converse(ADMIN_ID, "/donvi X99")
    assert unknown["html"] == VI("units.unknown")


async def test_a_head_is_removed_from_the_card_after_a_question_and_only_once(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    card = await _card(client)
    [question] = await client.click(
        ADMIN_ID, card["message_id"], button_data(card, "🚫 Gỡ Trưởng T01")
    )
    assert question["html"] == VI(
        "units.remove_ask", name="Trưởng T01", user_id=str(HEAD), unit="Thôn 1"
    )
    # "↩️ Giữ nguyên" changes nothing.
    unchanged = await snapshot(session_factory)
    [kept] = await client.click(
        ADMIN_ID, question["message_id"], button_data(question, "↩️ Giữ nguyên")
    )
    assert kept["html"] == VI("units.kept")
    assert await snapshot(session_factory) == unchanged
    after = await client.last_seq()
    yes = button_data(question, "🚫 Gỡ")
    [done] = await client.click(ADMIN_ID, question["message_id"], yes)
    assert done["html"] == VI("units.remove_done", user_id=str(HEAD), unit="Thôn 1")
    [told] = await client.expect(HEAD, after=after)
    assert told["html"] == VI("revoke.notice_head", unit="Thôn 1")
    contact = await contact_of(session_factory, HEAD)
    assert contact is not None and (contact.status, contact.unit_id) == (ContactStatus.LEFT, None)
    # Pressed again (a second device, a retry): one line, nothing changes.
    unchanged = await snapshot(session_factory)
    [again] = await client.click(ADMIN_ID, question["message_id"], yes)
    assert again["html"] == VI("units.remove_gone", unit="Thôn 1")
    assert await snapshot(session_factory) == unchanged
    assert [e["user_id"] for e in await _events(session_factory, "role.revoked")] == [HEAD]
    assert VI("units.card.nobody") in (await _card(client))["html"]


async def test_adults_are_fixed_by_typing_and_bad_numbers_change_nothing(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    await client.converse(HEAD, "/baocao 300")  # below 50 %: no milestone line to the admin
    card = await _card(client)
    [ask] = await client.click(ADMIN_ID, card["message_id"], button_data(card, "✏️ Số người lớn"))
    assert ask["html"] == VI("units.ask_adults", unit="Thôn 1", adults="1.000")
    unchanged = await snapshot(session_factory)
    [bad] = await client.converse(ADMIN_ID, "nhiều lắm")
    assert bad["html"].startswith("❌") and "/huy" in bad["html"]
    [below] = await client.converse(ADMIN_ID, "299")
    assert below["html"] == VI("units.adults_below", unit="Thôn 1", enrolled=300)
    [zero] = await client.converse(ADMIN_ID, "0")
    assert zero["html"] == VI("units.adults_positive")
    assert await snapshot(session_factory) == unchanged
    saved, shown = await client.converse(ADMIN_ID, "1.200", replies=2)
    assert saved["html"] == VI("units.changed")
    assert VI("units.card.facts", kind="Thôn", adults="1.200") in shown["html"]
    assert (await _unit(session_factory, "T01")).adults == 1200
    [event] = await _events(session_factory, "unit.adults")
    assert event == {"unit": "T01", "before": 1000, "after": 1200, "actor": ADMIN_ID}


async def test_a_new_name_reaches_the_heads_next_question_and_huy_changes_nothing(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    card = await _card(client)
    await client.click(ADMIN_ID, card["message_id"], button_data(card, "✏️ Tên"))
    [cancelled] = await client.converse(ADMIN_ID, "/huy")
    assert cancelled["html"] == VI("units.edit_cancelled")
    assert (await _unit(session_factory, "T01")).name == "Thôn 1"
    await client.click(ADMIN_ID, card["message_id"], button_data(card, "✏️ Tên"))
    [too_long] = await client.converse(ADMIN_ID, "x" * 201)
    assert too_long["html"] == VI("units.name_bad", limit=200)
    [taken] = await client.converse(ADMIN_ID, "thôn 2")
    assert taken["html"] == VI("units.name_taken", name="thôn 2")
    saved, _ = await client.converse(ADMIN_ID, "  Thôn   Tân Lập <1> ", replies=2)
    assert saved["html"] == VI("units.changed")
    assert (await _unit(session_factory, "T01")).name == "Thôn Tân Lập <1>"
    [question] = await client.converse(HEAD, "/baocao")
    assert question["html"] == VI("report.ask_enrolled", unit="Thôn Tân Lập <1>")


async def test_a_new_invite_replaces_the_units_codes(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    async with session_factory() as session:
        unit = await find_unit(session, "T01")
        assert unit is not None
        old = set(await session.scalars(select(Invite.code).where(Invite.unit_id == unit.id)))
    card = await _card(client)
    regenerated, photo = await client.click(
        ADMIN_ID, card["message_id"], button_data(card, "🔗 Mã mời mới"), replies=2
    )
    assert regenerated["html"] == VI("invites.regenerated", unit="Thôn 1")
    async with session_factory() as session:
        unit = await find_unit(session, "T01")
        assert unit is not None
        usable = set(
            await session.scalars(
                select(Invite.code).where(Invite.unit_id == unit.id, Invite.revoked.is_(False))
            )
        )
    [new] = usable
    assert new not in old and new in str(photo.get("text")), "a new code is sent"
    assert old.isdisjoint(usable), "the old codes no longer work"


async def test_an_archived_unit_leaves_the_lists_and_its_people_are_told(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await client.open_chats([ADMIN_ID])  # the question can reach the admin at once
    await register(client, session_factory, HEAD, "T01")
    await client.converse(HEAD, "/baocao 300")
    [offer] = await client.converse(HEAD, "Khi nào thôn mình họp?")
    asked = await client.last_seq()
    await client.click(
        HEAD, offer["message_id"], button_data(offer, "📨 Gửi cho cán bộ xã"), replies=2
    )
    # It reaches the admin through the outbox, before the commands below are answered.
    await until_said(client, ADMIN_ID, "Khi nào thôn mình họp?", after=asked)
    [waiting] = await client.converse(ADMIN_ID, "/phanhoi")
    assert "Thôn 1" in waiting["text"]
    card = await _card(client)
    [question] = await client.click(
        ADMIN_ID, card["message_id"], button_data(card, "🗄 Ngừng theo dõi")
    )
    assert question["html"] == VI("units.archive_ask", unit="Thôn 1", count=1)
    after = await client.last_seq()
    yes = button_data(question, "🗄 Ngừng theo dõi")
    [done] = await client.click(ADMIN_ID, question["message_id"], yes)
    assert done["html"] == VI("units.archive_done", unit="Thôn 1", count=1)
    [told] = await client.expect(HEAD, after=after)
    assert told["html"] == VI("revoke.notice_head", unit="Thôn 1")
    assert not (await _unit(session_factory, "T01")).active
    [page] = await client.converse(ADMIN_ID, "/donvi")
    assert page["text"].startswith("Đơn vị (3)") and "Thôn 1 (" not in page["text"]
    stats, _chart = await client.converse(ADMIN_ID, "/thongke", replies=2)
    assert "300" not in stats["text"]
    # Nobody is left to answer: its question no longer waits for an officer.
    [threads] = await client.converse(ADMIN_ID, "/phanhoi")
    assert threads["html"] == VI("threads.none")
    async with session_factory() as session:
        [(thread_id, status)] = (await session.execute(select(Thread.id, Thread.status))).all()
    assert status == ThreadStatus.RESOLVED
    archived = await _card(client)
    assert VI("units.card.archived") in archived["html"] and labels(archived) == []
    unchanged = await snapshot(session_factory)
    [again] = await client.click(ADMIN_ID, question["message_id"], yes)
    assert again["html"] == VI("units.already_archived", unit="Thôn 1")
    assert await snapshot(session_factory) == unchanged
    [event] = await _events(session_factory, "unit.archived")
    assert event == {"unit": "T01", "removed": 1, "threads_closed": [thread_id], "actor": ADMIN_ID}


async def test_an_officer_can_neither_open_nor_press_a_units_card(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    from bot.services.registry.contacts import grant

    officer = 891_010
    await client.open_chats([officer])
    await grant(app.bot_data.db, actor_user_id=ADMIN_ID, user_id=officer, role=Role.OFFICER)
    [refused] = await client.converse(officer, "/donvi T01")
    assert refused["html"] == VI("access.not_allowed")
    unchanged = await snapshot(session_factory)
    after = await client.last_seq()
    # A forged "🗄 Ngừng theo dõi" press on one of the officer's own messages.
    await client.press(officer, refused["message_id"], "unit:archyes:T01")
    [answer] = await client.expect(officer, after=after)
    assert answer["method"] == "answerCallbackQuery"
    assert await snapshot(session_factory) == unchanged
    assert (await _unit(session_factory, "T01")).active


async def test_an_archived_units_codes_stop_working_and_its_staff_keep_their_role(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    from bot.services.registry.contacts import grant
    from tests.helpers import make_invite

    officer = 891_011
    code = await make_invite(session_factory, "T01")
    await client.open_chats([officer])
    await grant(app.bot_data.db, actor_user_id=ADMIN_ID, user_id=officer, role=Role.OFFICER)
    async with session_factory.begin() as session:
        unit = await find_unit(session, "T01")
        contact = await session.scalar(select(Contact).where(Contact.telegram_user_id == officer))
        assert unit is not None and contact is not None
        contact.unit_id = unit.id  # an officer who also reports for Thôn 1
    card = await _card(client)
    assert labels(card)[0] == "✏️ Số người lớn", "no 🚫 Gỡ for an officer: that is /phanquyen"
    [question] = await client.click(
        ADMIN_ID, card["message_id"], button_data(card, "🗄 Ngừng theo dõi")
    )
    await client.click(ADMIN_ID, question["message_id"], button_data(question, "🗄 Ngừng theo dõi"))
    officer_contact = await contact_of(session_factory, officer)
    assert officer_contact is not None
    assert (officer_contact.role, officer_contact.status, officer_contact.unit_id) == (
        Role.OFFICER, ContactStatus.ACTIVE, None,
    )  # fmt: skip
    [refused] = await client.converse(891_012, f"/start {code}")
    assert refused["html"] == VI("invite.revoked")
    assert await contact_of(session_factory, 891_012) is None
    unchanged = await snapshot(session_factory)
    [unknown] = await client.converse(ADMIN_ID, "/moi T01")
    assert unknown["html"] == VI("units.unknown")
    [again] = await client.click(ADMIN_ID, card["message_id"], button_data(card, "🔗 Mã mời mới"))
    assert again["html"] == VI("units.unknown")
    assert await snapshot(session_factory) == unchanged


async def test_adults_beyond_the_limit_are_refused(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    card = await _card(client)
    await client.click(ADMIN_ID, card["message_id"], button_data(card, "✏️ Số người lớn"))
    unchanged = await snapshot(session_factory)
    [refused] = await client.converse(ADMIN_ID, "99999999999999999999")
    assert refused["html"].startswith("❌")
    assert await snapshot(session_factory) == unchanged
