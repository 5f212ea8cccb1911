"""End-to-end: `/phanquyen <id> bỏ` and `binhdan revoke` take every role away (issue 23)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import SandboxClient
from bot.services.broadcasts.audience import Audience, count_audience
from bot.services.registry.contacts import grant
from bot.telegram.context import BotApplication
from bot.texts import translator
from bot.texts.labels import role_label
from models import AuditEvent, ContactStatus, Role
from models.db import Database
from tests.cli_helpers import run_cli
from tests.conftest import ADMIN_ID
from tests.helpers import contact_of, make_invite, register, snapshot

SessionFactory = async_sessionmaker[AsyncSession]
VI = translator("vi")
HEAD = 890_001
OFFICER = 890_010
NOBODY = 890_099


async def test_a_head_is_removed_told_kindly_and_can_register_again(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory, db: Database
) -> None:
    code = await make_invite(session_factory, "T01")
    await client.converse(HEAD, f"/start {code}", replies=2, first_name="Trưởng T01")
    before = await count_audience(db, Audience.parse("all"))
    after = await client.last_seq()
    [done] = await client.converse(ADMIN_ID, f"/phanquyen {HEAD} bỏ")
    assert done["html"] == VI("revoke.done", user_id=str(HEAD), role=role_label(VI, Role.HEAD))
    [told] = await client.expect(HEAD, after=after)
    assert told["html"] == VI("revoke.notice_head", unit="Thôn 1")
    assert told["reply_markup"] == {"remove_keyboard": True}
    contact = await contact_of(session_factory, HEAD)
    assert contact is not None and (contact.status, contact.unit_id) == (ContactStatus.LEFT, None)
    # Out of every broadcast; reporting now gets the stranger's answer.
    assert (await count_audience(db, Audience.parse("all"))).people == before.people - 1
    [refused] = await client.converse(HEAD, "/baocao 10")
    assert refused["html"] == VI("stranger.how_to")
    # Twice: the second is one clear line and changes nothing.
    unchanged = await snapshot(session_factory)
    [again] = await client.converse(ADMIN_ID, f"/phanquyen {HEAD} thu hồi")
    assert again["html"] == VI("revoke.unknown", user_id=str(HEAD))
    assert await snapshot(session_factory) == unchanged
    # Their old link no longer works; a new invite registers them again like anyone else.
    [old_link] = await client.converse(HEAD, f"/start {code}")
    assert old_link["html"] == VI("invite.used_up")
    await register(client, session_factory, HEAD, "T02")
    contact = await contact_of(session_factory, HEAD)
    assert contact is not None and contact.status == ContactStatus.ACTIVE
    assert contact.role == Role.HEAD and contact.unit is not None and contact.unit.code == "T02"


async def test_an_officer_becomes_nobody_and_settings_admins_stay(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory, db: Database
) -> None:
    await client.open_chats([OFFICER])
    await grant(db, actor_user_id=ADMIN_ID, user_id=OFFICER, role=Role.OFFICER)
    after = await client.last_seq()
    await client.converse(ADMIN_ID, f"/phanquyen {OFFICER} bo")
    [told] = await client.expect(OFFICER, after=after)
    assert told["html"] == VI("revoke.notice_staff", role=role_label(VI, Role.OFFICER))
    [refused] = await client.converse(OFFICER, "/thongbao Họp")
    assert refused["html"] == VI("stranger.how_to")
    # The command menu is a stranger's again.
    menu = await client.commands(f"chat:{OFFICER}")
    assert menu is not None and {c["command"] for c in menu} == {
        "start",
        "huongdan",
        "ngonngu",
        "huy",
    }
    [kept] = await client.converse(ADMIN_ID, f"/phanquyen {ADMIN_ID} bỏ")
    assert kept["html"] == VI("revoke.settings_admin", user_id=str(ADMIN_ID))
    [unknown] = await client.converse(ADMIN_ID, f"/phanquyen {NOBODY} bỏ")
    assert unknown["html"] == VI("revoke.unknown", user_id=str(NOBODY))
    async with session_factory() as session:
        events = list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "role.revoked"))
        )
    assert [(e.actor_user_id, e.details["user_id"], e.details["previous"]) for e in events] == [
        (ADMIN_ID, OFFICER, "officer")
    ]


def test_cli_revoke(db_url: str) -> None:
    granted = run_cli(["grant", str(OFFICER), "officer"], DATABASE_URL=db_url)
    assert granted.returncode == 0, granted.stderr
    revoked = run_cli(["revoke", str(OFFICER)], DATABASE_URL=db_url)
    assert revoked.returncode == 0, revoked.stderr
    assert str(OFFICER) in revoked.stdout
    again = run_cli(["revoke", str(OFFICER)], DATABASE_URL=db_url)
    assert again.returncode == 2
    [line] = again.stderr.strip().splitlines()
    assert VI.plain("cli.revoke_unknown") in line
    settings_admin = run_cli(["revoke", "42"], DATABASE_URL=db_url, ADMIN_IDS="42")
    assert settings_admin.returncode == 2 and "ADMIN_IDS" in settings_admin.stderr


async def test_nguoidung_lists_everyone_with_a_role_and_when_they_wrote(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory, db: Database
) -> None:
    await register(client, session_factory, HEAD, "T01")
    await client.converse(HEAD, "/baocao 12")
    await client.open_chats([OFFICER])
    await grant(db, actor_user_id=ADMIN_ID, user_id=OFFICER, role=Role.OFFICER)
    [listing] = await client.converse(ADMIN_ID, "/nguoidung")
    text = listing["text"]
    assert text.startswith("👥 Người có vai trò trên bot")
    # Admins, then officers, then the units' people; the head wrote today, the officer never.
    assert text.index("Quản trị viên") < text.index("Cán bộ xã") < text.index("Trưởng thôn/buôn")
    assert f"Trưởng T01 — Thôn 1 · {HEAD} · lần cuối nhắn " in text
    assert f"{OFFICER} · chưa thấy nhắn" in text
    [refused] = await client.converse(HEAD, "/nguoidung")
    assert refused["html"] == VI("access.not_allowed")


def test_cli_users_list(db_url: str) -> None:
    assert run_cli(["grant", str(OFFICER), "officer"], DATABASE_URL=db_url).returncode == 0
    listed = run_cli(["users", "list"], DATABASE_URL=db_url)
    assert listed.returncode == 0, listed.stderr
    header, *rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert header[:3] == ["vai trò", "mã đơn vị", "mã người dùng"]
    assert [row[0] for row in rows] == [role_label(VI, Role.OFFICER)]
    assert rows[0][2] == str(OFFICER)


def test_cli_audit_prints_who_changed_what_and_when(db_url: str) -> None:
    run_cli(["grant", str(OFFICER), "officer"], DATABASE_URL=db_url)
    run_cli(["revoke", str(OFFICER)], DATABASE_URL=db_url)
    printed = run_cli(["audit"], DATABASE_URL=db_url)
    assert printed.returncode == 0, printed.stderr
    rows = [line.split("\t") for line in printed.stdout.splitlines()]
    assert [row[2] for row in rows] == ["role.granted", "role.revoked"]
    when, actor, _, details = rows[1]
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", when) and actor == "—"
    assert json.loads(details) == {"user_id": OFFICER, "previous": "officer", "unit": None}
    later = (datetime.now(UTC) + timedelta(days=2)).strftime("%d/%m/%Y")
    assert run_cli(["audit", "--since", later], DATABASE_URL=db_url).stdout == ""
    today = datetime.now(UTC).date().isoformat()
    assert len(run_cli(["audit", "--since", today], DATABASE_URL=db_url).stdout.splitlines()) >= 1
    bad = run_cli(["audit", "--since", "31/02/2026"], DATABASE_URL=db_url)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
