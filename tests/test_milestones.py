"""Milestones: 50 % and then the target, reached once, in the report's own transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.sandbox.client import SandboxClient
from bot.services.recognition.milestones import crossed
from bot.services.registry.units import find_unit
from bot.services.reports.reports import Figures, Reporter, Target
from bot.services.reports.submission import Request, submit_batch
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import AuditEvent, Directive, MessageKind, Milestone, MilestoneKind, Role
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import make_invite, register

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
VI = translator("vi")
Factory = async_sessionmaker[AsyncSession]
HEAD = 840_001
OFFICER = 840_010


def test_crossing_needs_the_figure_below_before_and_at_or_above_now() -> None:
    assert crossed(None, 500, 1000, 90) == [(MilestoneKind.HALF, 50.0)]
    assert crossed(400, 499, 1000, 90) == []
    assert crossed(499, 950, 1000, 90) == [
        (MilestoneKind.HALF, 50.0),
        (MilestoneKind.TARGET, 90.0),
    ]
    assert crossed(600, 700, 1000, 90) == []
    assert crossed(600, 900, 1000, 90) == [(MilestoneKind.TARGET, 90.0)]
    assert crossed(None, 500, None, 90) == []
    # A target at or below 50 % is the only milestone.
    assert crossed(None, 400, 1000, 40) == [(MilestoneKind.TARGET, 40.0)]


@given(
    adults=st.integers(1, 5000),
    before=st.integers(0, 5000),
    after=st.integers(0, 5000),
    target=st.floats(1, 100),
)
def test_a_milestone_is_crossed_only_going_up_through_it(
    adults: int, before: int, after: int, target: float
) -> None:
    for kind, threshold in crossed(before, after, adults, target):
        assert before * 100 < threshold * adults <= after * 100, kind


async def _target(factory: Factory, code: str = "T01") -> Target:
    async with factory() as session:
        unit = await find_unit(session, code)
        assert unit is not None
        return Target(unit.id, unit.name, unit.adults, False)


def _request(
    target: Target, enrolled: int, update_id: int, minutes: int = 0, **kw: object
) -> Request:
    return Request(
        target,
        Figures(enrolled),
        Reporter(1, "Ông A"),
        update_id,
        NOW + timedelta(minutes=minutes),
        **kw,  # type: ignore[arg-type]
    )


async def test_milestones_are_stored_once_with_the_report_and_replayed(
    session_factory: Factory, units: None
) -> None:
    target = await _target(session_factory)  # Thôn 1: 1000 adults
    async with session_factory.begin() as session:
        results = await submit_batch(
            session,
            [_request(target, 400, 1), _request(target, 520, 2, 1), _request(target, 600, 3, 2)],
            "weekly",
            TZ,
            90.0,
        )
    assert [[r.kind for r in result.milestones] for result in results] == [
        [],
        [MilestoneKind.HALF],
        [],
    ]
    # A redelivered update gets its congratulation again, and nothing is stored twice.
    async with session_factory.begin() as session:
        [again] = await submit_batch(session, [_request(target, 520, 2, 1)], "weekly", TZ, 90.0)
    assert again.milestones == results[1].milestones
    # Lower (a correction), then up through 50 % again: never a second time.
    async with session_factory.begin() as session:
        await submit_batch(
            session, [_request(target, 450, 4, 3, correction_reason="gõ nhầm")], "weekly", TZ, 90.0
        )
        [back] = await submit_batch(session, [_request(target, 550, 5, 4)], "weekly", TZ, 90.0)
        [goal] = await submit_batch(session, [_request(target, 900, 6, 5)], "weekly", TZ, 90.0)
    assert back.milestones == ()
    assert [m.kind for m in goal.milestones] == [MilestoneKind.TARGET]
    assert goal.milestones[0].percent == 90.0
    async with session_factory() as session:
        kinds = list(await session.scalars(select(Milestone.kind).order_by(Milestone.id)))
        notes = await session.scalar(
            select(func.count()).select_from(Directive).where(Directive.kind == MessageKind.NOTICE)
        )
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "milestone.reached")
        )
    assert kinds == [MilestoneKind.HALF, MilestoneKind.TARGET]
    # One line to the officers per report that reached something.
    assert notes == 2 and audited == 2


async def test_without_a_target_the_writer_checks_no_milestone(
    session_factory: Factory, units: None
) -> None:
    target = await _target(session_factory)
    async with session_factory.begin() as session:
        [result] = await submit_batch(session, [_request(target, 950, 1)], "weekly", TZ)
    assert result.milestones == ()


@pytest.fixture
async def chat(app: BotApplication, client: SandboxClient, session_factory: Factory) -> None:
    await register(client, session_factory, HEAD, "T02")  # Thôn 2: 800 adults
    invite = await make_invite(session_factory, None, role=Role.OFFICER, max_uses=1)
    await client.converse(OFFICER, f"/start {invite}")
    await client.open_chats([ADMIN_ID])


async def test_the_head_is_congratulated_once_and_officers_get_one_line(
    chat: None, client: SandboxClient, session_factory: Factory
) -> None:
    [echo] = await client.converse(HEAD, "/baocao 300")
    assert "🎉" not in echo["text"]
    after = await client.last_seq()
    [echo] = await client.converse(HEAD, "/baocao 400")
    congrats = VI("milestone.congrats", unit="Thôn 2", threshold="50%", percent="50,0%")
    assert echo["html"].endswith(congrats)
    assert [[b["text"] for b in row] for row in echo["reply_markup"]["inline_keyboard"]][-1] == [
        VI.plain("share.button.start")
    ]
    [line] = await client.expect(OFFICER, after=after, timeout=20)
    assert line["html"] == VI(
        "milestone.officers",
        unit="Thôn 2",
        threshold="50%",
        enrolled=400,
        adults=800,
        percent="50,0%",
    )
    # Not again for 50 %; then the target, in free text confirmed with "✅ Đúng".
    [echo] = await client.converse(HEAD, "/baocao 500")
    assert "🎉" not in echo["text"]
    [question] = await client.converse(HEAD, "được 720 người")
    right = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    events = await client.click(HEAD, question["message_id"], right, replies=2)
    target = VI("milestone.congrats.target", unit="Thôn 2", threshold="90%", percent="90,0%")
    assert events[-1]["html"].endswith(target)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Milestone)) == 2


async def test_an_officer_reporting_for_a_unit_sees_the_milestone_without_the_share_button(
    make_settings: SettingsFactory, units: None, client: SandboxClient
) -> None:
    async with polling(build_application(make_settings(target_percent=60))):
        await client.converse(ADMIN_ID, "/start")
        # The confirmation, and the milestone line every staff chat gets (this one too).
        events = await client.converse(ADMIN_ID, "/baocao B01 400", replies=2)  # 600 adults
        echo = next(e for e in events if "Đã ghi nhận" in (e["text"] or ""))
    assert (
        VI("milestone.congrats.target", unit="Buôn Ea Tih mẫu", threshold="60%", percent="66,7%")
        in (echo["html"])
    )
    assert len(echo["reply_markup"]["inline_keyboard"]) == 1
