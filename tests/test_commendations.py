"""Commendation: the proposed list (fair ranking), /bieuduong end to end, the PDF and the CLI."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.documents.commendation_pdf import commendation_pdf
from bot.documents.report_table import Signatures
from bot.sandbox.client import Event, SandboxClient
from bot.services.recognition.commendations import (
    CURRENT,
    PREVIOUS,
    Achievement,
    Candidate,
    Merit,
    Sent,
    Sheet,
    UnitFacts,
    candidates_for,
    period_facts,
    period_for,
    period_named,
    propose,
    send_commendation,
    tenths_of_percent,
)
from bot.services.reports.periods import period_of_day
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import (
    Commendation,
    CommendationUnit,
    GoodModel,
    GoodModelStatus,
    Report,
    Role,
    Unit,
    UnitKind,
)
from models.db import Database
from tests.cli_helpers import run_cli
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import make_invite, register

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
VI = translator("vi")
Factory = async_sessionmaker[AsyncSession]
HEADS = {"T01": 850_001, "T02": 850_002, "B01": 850_003, "CA": 850_004}
OFFICER = 850_010
EARLY = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _facts(
    unit_id: int,
    enrolled: int | None,
    adults: int | None = 1000,
    start: int | None = 0,
    *,
    minutes: int = 0,
    kind: UnitKind = UnitKind.THON,
    models: int = 0,
) -> UnitFacts:
    return UnitFacts(
        unit_id=unit_id,
        code=f"U{unit_id}",
        name=f"Thôn {unit_id}",
        kind=kind,
        adults=adults,
        enrolled=enrolled,
        start_enrolled=start,
        reported_at=EARLY + timedelta(minutes=minutes),
        models_spread=models,
    )


def _merits(candidates: list[Candidate]) -> dict[int, list[tuple[Achievement, int | None]]]:
    return {c.facts.unit_id: [(m.achievement, m.rank) for m in c.merits] for c in candidates}


def test_shares_are_compared_as_people_read_them() -> None:
    assert tenths_of_percent(452, 1000) == 452
    assert tenths_of_percent(4525, 10000) == 453  # 45,25 % reads 45,3 %
    assert tenths_of_percent(1, 3) == 333


def test_ties_share_a_rank_are_all_proposed_and_the_earlier_report_comes_first() -> None:
    facts = [
        _facts(1, 800, start=None, minutes=5),  # 80,0 %, reported later
        _facts(2, 400, adults=500, start=None, minutes=1),  # 80,0 %, reported first
        _facts(3, 700, start=None),  # 70,0 %
        _facts(4, 600, start=None),
    ]
    proposed = propose(facts, 90.0, top=1)
    # A tie at the last place brings both in, with the same rank; the earlier report first.
    assert [c.facts.unit_id for c in proposed] == [2, 1]
    assert _merits(proposed) == {
        1: [(Achievement.TOP_SHARE, 1)],
        2: [(Achievement.TOP_SHARE, 1)],
    }
    # With two places, the third unit is ranked 3 (competition ranking): not proposed.
    assert [c.facts.unit_id for c in propose(facts, 90.0, top=2)] == [2, 1]
    # With three, Thôn 3 (70,0 %) is still left out: below the villages' own 71,4 %.
    assert [c.facts.unit_id for c in propose(facts, 90.0, top=3)] == [2, 1]


def test_a_high_rank_below_the_communes_share_is_not_praise() -> None:
    facts = [
        _facts(1, 500, start=None),  # 50,0 %
        _facts(2, 46, start=None),  # 4,6 %: third of three, far below the commune's 18,5 %
        _facts(3, 9, start=None),  # 0,9 %
    ]
    assert _merits(propose(facts, 90.0, top=3)) == {1: [(Achievement.TOP_SHARE, 1)]}


def test_rises_count_in_points_of_adults_and_need_a_figure_to_rise_from() -> None:
    facts = [
        _facts(1, 500, adults=2000, start=300),  # +200 people = +10 points
        _facts(2, 250, adults=500, start=150),  # +100 people = +20 points: the fairer winner
        _facts(3, 400, adults=500, start=None),  # first report: no rise to judge
        _facts(4, 100, adults=500, start=120),  # went down
    ]
    merits = _merits(propose(facts, 95.0, top=1))
    # Thôn 3 (80 %) has the highest share; Thôn 2 the biggest rise, though Thôn 1 gained more.
    assert merits == {3: [(Achievement.TOP_SHARE, 1)], 2: [(Achievement.TOP_RISE, 1)]}


def test_agencies_reach_the_target_but_are_not_ranked_with_villages() -> None:
    facts = [
        _facts(1, 500, start=500),
        _facts(9, 40, adults=40, start=None, kind=UnitKind.CO_QUAN),  # 100 % of its staff
        _facts(2, 910, start=850),  # crossed 90 % in the period
        _facts(3, 950, start=920),  # was above 90 % already
        _facts(4, 100, start=100, models=2),
    ]
    merits = _merits(propose(facts, 90.0, top=1))
    assert merits[9] == [(Achievement.REACHED_TARGET, None)]
    assert (Achievement.REACHED_TARGET, None) in merits[2]
    assert Achievement.REACHED_TARGET not in [a for a, _ in merits.get(3, [])]
    assert merits[4] == [(Achievement.MODEL_SPREAD, None)]
    # A unit the officer adds without an achievement is "proposed", and listed last.
    chosen = candidates_for(facts, [1, 9], 90.0, top=1)
    assert [(c.facts.unit_id, c.merits) for c in chosen] == [
        (9, (Merit(Achievement.REACHED_TARGET),)),
        (1, (Merit(Achievement.PROPOSED),)),
    ]


def test_periods_are_named_on_the_command_line() -> None:
    now = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
    assert period_named("current", now, "weekly", TZ) == period_of_day(date(2026, 11, 26), "weekly")
    assert period_named("previous", now, "weekly", TZ) == period_of_day(
        date(2026, 11, 19), "weekly"
    )
    assert period_named("2026-W47", now, "weekly", TZ) == period_of_day(
        date(2026, 11, 17), "weekly"
    )
    assert period_named("2026-11", now, "monthly", TZ) == period_of_day(
        date(2026, 11, 1), "monthly"
    )
    assert period_named("03/11/2026", now, "weekly", TZ) == period_of_day(
        date(2026, 11, 3), "weekly"
    )
    assert period_named("tuần trước", now, "weekly", TZ) is None
    assert period_named("2026-W99", now, "weekly", TZ) is None


async def _unit_ids(factory: Factory) -> dict[str, int]:
    async with factory() as session:
        return {code: uid for uid, code in await session.execute(select(Unit.id, Unit.code))}


async def _seed(factory: Factory, now: datetime) -> None:
    """Reports before the previous period (the baseline) and in this one, and a spread model.

    Thôn 1: 300 → 800 of 1000; Thôn 2: 100 → 720 of 800 (reaches 90 %); Buôn: 50 → 360 of 600
    and a good model spread; Công an xã: 40 of 40 (first report, an agency).
    """
    ids = await _unit_ids(factory)
    current = period_for(now, "weekly", TZ, CURRENT)
    previous = period_for(now, "weekly", TZ, PREVIOUS)
    baseline = previous.start(TZ) - timedelta(days=1)
    this_period = max(now - timedelta(minutes=5), current.start(TZ))
    rows = [
        ("T01", 300, baseline, 0),
        ("T02", 100, baseline, 0),
        ("B01", 50, baseline, 0),
        ("T01", 800, this_period, 3),
        ("T02", 720, this_period, 1),
        ("B01", 360, this_period, 2),
        ("CA", 40, this_period, 4),
    ]
    async with factory.begin() as session:
        for code, enrolled, at, seconds in rows:
            session.add(
                Report(
                    unit_id=ids[code],
                    period_key=period_of_day(at.astimezone(TZ).date(), "weekly").key,
                    enrolled=enrolled,
                    reported_at=at + timedelta(seconds=seconds),
                    reporter_name="",
                )
            )
        session.add(
            GoodModel(
                unit_id=ids["B01"],
                author_user_id=1,
                title="Tổ công nghệ số đến từng nhà",
                status=GoodModelStatus.SPREAD,
                spread_at=this_period,
                approved_at=this_period,
            )
        )


async def test_period_facts_read_the_figures_at_both_ends_of_a_period(
    session_factory: Factory, units: None
) -> None:
    now = datetime.now(UTC)
    await _seed(session_factory, now)
    current = period_for(now, "weekly", TZ, CURRENT)
    async with session_factory() as session:
        facts = {f.code: f for f in await period_facts(session, current, TZ)}
        previous = {
            f.code: f
            for f in await period_facts(session, period_for(now, "weekly", TZ, PREVIOUS), TZ)
        }
    assert (facts["T02"].start_enrolled, facts["T02"].enrolled, facts["T02"].rise) == (
        100,
        720,
        620,
    )
    assert (facts["CA"].start_enrolled, facts["CA"].enrolled) == (None, 40)
    assert facts["B01"].models_spread == 1 and facts["T01"].models_spread == 0
    # The period before: nothing changed in it, so no rise and nothing reached.
    assert (previous["T01"].start_enrolled, previous["T01"].enrolled) == (300, 300)
    assert previous["B01"].models_spread == 0


def _button(event: Event, label_start: str) -> str:
    for row in (event.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"].startswith(label_start):
                return str(button["callback_data"])
    raise AssertionError(f"no button {label_start!r} in {event}")


async def _wait_for(client: SandboxClient, chat: int, after: int, text: str) -> Event:
    for _ in range(40):
        for event in await client.events(chat, after=after, count=1, wait=0.5):
            after = event["seq"]
            if text in (event.get("text") or ""):
                return event
    raise AssertionError(f"no {text!r} in chat {chat}")


async def test_bieuduong_proposes_edits_and_sends_the_list_and_the_congratulations(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: Factory,
) -> None:
    await _seed(session_factory, datetime.now(UTC))
    settings = make_settings(commend_top=1, report_signer_name="Nguyễn Thanh Hưng")
    async with polling(build_application(settings)):
        for code, user in HEADS.items():
            await register(client, session_factory, user, code)
        invite = await make_invite(session_factory, None, role=Role.OFFICER, max_uses=1)
        await client.converse(OFFICER, f"/start {invite}")
        await client.open_chats([ADMIN_ID])
        [proposal] = await client.converse(OFFICER, "/bieuduong")
        text = proposal["text"]
        assert text.startswith("🏆 Đề nghị biểu dương kỳ")
        # Thôn 2 first (highest share, biggest rise, reached 90 %), then by achievement: the
        # agency reached its target, the buôn's good model was spread.
        assert text.index("Thôn 2") < text.index("Công an xã") < text.index("Buôn Ea Tih mẫu")
        assert "Thôn 1" not in text
        assert "🥇" in text and "đạt mục tiêu 90%" in text and "có 1 mô hình hay" in text
        assert VI.plain("commend.rule", top=1, target="90%") in text
        labels = [b["text"] for row in proposal["reply_markup"]["inline_keyboard"] for b in row]
        assert "➖ Công an xã" in labels and "📤 Gửi biểu dương" in labels

        # The previous period proposes from its own figures, and back.
        [previous] = await client.click(
            OFFICER, proposal["message_id"], _button(proposal, "◀ Kỳ trước")
        )
        assert previous["method"] == "editMessageText"
        assert "Thôn 1" in previous["text"] and "Công an xã" not in previous["text"]
        [current] = await client.click(OFFICER, proposal["message_id"], _button(previous, "Kỳ này"))
        # Remove the agency; add Thôn 1 through the picker.
        [edited] = await client.click(
            OFFICER, proposal["message_id"], _button(current, "➖ Công an xã")
        )
        assert "Công an xã" not in edited["text"]
        [picker] = await client.click(
            OFFICER, proposal["message_id"], _button(edited, "➕ Thêm đơn vị")
        )
        [picker] = await client.click(OFFICER, proposal["message_id"], _button(picker, "Thôn 1"))
        assert "✔️ Thôn 2" in str(picker["reply_markup"])
        [edited] = await client.click(OFFICER, proposal["message_id"], _button(picker, "✔️ Xong"))
        assert "Thôn 1</b> — " + VI.plain("commend.merit.proposed") in edited["html"]
        assert "✏️ Lý do: Công an xã" not in str(edited["reply_markup"])  # has its merits

        # Thôn 1 was added by hand: the officer types why. Too long is refused, then kept.
        [ask] = await client.click(OFFICER, proposal["message_id"], _button(edited, "✏️ Lý do"))
        assert "Thôn 1" in ask["text"]
        [refused] = await client.converse(OFFICER, "x" * 201)
        assert refused["html"] == VI("commend.reason_bad", limit=200)
        [old_list, edited] = await client.converse(
            OFFICER, "vận động  30 hộ <cài> VNeID", replies=2
        )
        assert old_list["method"] == "editMessageReplyMarkup"
        assert "Thôn 1</b> — vận động 30 hộ &lt;cài&gt; VNeID" in edited["html"]
        assert VI.plain("commend.merit.proposed") not in edited["text"]
        controls = edited["message_id"]

        after = await client.last_seq()
        [progress] = await client.click(OFFICER, controls, _button(edited, "📤 Gửi biểu dương"))
        assert progress["text"].startswith("📤 Đang gửi")
        document = await _wait_for(client, OFFICER, after, "Danh sách đề nghị biểu dương kỳ")
        assert document["method"] == "sendDocument"
        assert document["file_name"].startswith("danh-sach-bieu-duong-")
        pdf = await client.download(str(document["file_id"]))
        for user in HEADS.values():
            listing = await _wait_for(client, user, after, "🏆 Biểu dương kỳ")
            assert "Thôn 2" in listing["text"] and "Thôn 1" in listing["text"]
            assert "Công an xã" not in listing["text"]
            assert _button(listing, "✅ Đã nhận").startswith("ack:")
        congrats = await _wait_for(client, HEADS["T02"], after, "Chúc mừng Thôn 2")
        assert "xếp thứ 1 về tỷ lệ người trưởng thành đăng ký học" in congrats["text"]
        assert "xếp thứ 1 về mức tăng so với kỳ trước" in congrats["text"]
        assert "đạt mục tiêu 90%" in congrats["text"]
        proposed = await _wait_for(client, HEADS["T01"], after, "Chúc mừng Thôn 1")
        assert "vận động 30 hộ <cài> VNeID" in proposed["text"]
        await asyncio.sleep(0.5)
        assert not [
            e
            for e in await client.events(HEADS["CA"], after=after)
            if "Chúc mừng Công an xã" in (e.get("text") or "")
        ]
        summary = await _wait_for(client, OFFICER, after, "Đã gửi xong")
        assert "Danh sách biểu dương" in summary["text"]

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "DANH SÁCH ĐỀ NGHỊ BIỂU DƯƠNG" in text and "Nguyễn Thanh Hưng" in text
    assert "Vận động 30 hộ <cài>" in " ".join(text.split())
    ids = await _unit_ids(session_factory)
    async with session_factory() as session:
        commendation = await session.scalar(select(Commendation))
        assert commendation is not None and commendation.directive_id is not None
        rows = list(
            await session.scalars(select(CommendationUnit).order_by(CommendationUnit.position))
        )
        assert [r.unit_id for r in rows] == [ids["T02"], ids["B01"], ids["T01"]]
        assert rows[0].merits[0] == ["top_share", 1] and rows[2].merits == [
            ["proposed", None, "vận động 30 hộ <cài> VNeID"]
        ]


def test_the_commendation_pdf_reads_like_an_administrative_list() -> None:
    period = period_of_day(date(2026, 11, 25), "weekly")
    candidates = [
        Candidate(
            _facts(2, 720, adults=800, start=100),
            (
                Merit(Achievement.TOP_SHARE, 1),
                Merit(Achievement.TOP_RISE, 1),
                Merit(Achievement.REACHED_TARGET),
            ),
        ),
        Candidate(
            _facts(7, 360, adults=600, start=50, models=1), (Merit(Achievement.MODEL_SPREAD),)
        ),
    ]
    sheet = Sheet(period, candidates, 90.0, None)
    signatures = Signatures("Lê Thị Lập", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Thanh Hưng")
    pdf = commendation_pdf(
        sheet,
        commune="Ea Knốp",
        signatures=signatures,
        top=3,
        tz=TZ,
        made_on=date(2026, 11, 27),
        t=VI,
    )
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        "ỦY BAN NHÂN DÂN",
        "XÃ EA KNỐP",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Ea Knốp, ngày 27 tháng 11 năm 2026",
        "DANH SÁCH ĐỀ NGHỊ BIỂU DƯƠNG",
        "Thôn 2",
        "Thôn 7",
        "720 / 800",
        "90,0%",
        "NGƯỜI LẬP DANH SÁCH",
        "Lê Thị Lập",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Nguyễn Thanh Hưng",
    ):
        assert expected in text, expected
    flat = " ".join(text.split())
    assert "Xếp thứ 1 về tỷ lệ người trưởng thành đăng ký học" in flat
    assert "Có 1 mô hình hay" in flat


async def test_cli_writes_the_list_and_refuses_bad_input(
    db_url: str, session_factory: Factory, units: None, tmp_path: Path
) -> None:
    await _seed(session_factory, datetime.now(UTC))
    out = tmp_path / "bieu-duong.pdf"
    result = await asyncio.to_thread(
        run_cli,
        ["commend", str(out), "--period", "current"],
        DATABASE_URL=db_url,
        REPORT_SIGNER_NAME="Nguyễn Thanh Hưng",
    )
    assert result.returncode == 0, result.stderr
    assert "4 đơn vị" in result.stdout
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Thôn 2" in text and "Nguyễn Thanh Hưng" in text
    bad = await asyncio.to_thread(
        run_cli, ["commend", str(tmp_path / "x.xlsx")], DATABASE_URL=db_url
    )
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    unknown = await asyncio.to_thread(
        run_cli, ["commend", str(out), "--period", "hôm qua"], DATABASE_URL=db_url
    )
    assert unknown.returncode == 2 and "hôm qua" in unknown.stderr
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Commendation)) == 0


def test_a_long_list_fits_in_one_message_and_names_the_rest_by_count(
    make_settings: SettingsFactory,
) -> None:
    from types import SimpleNamespace
    from typing import cast

    from bot.services.recognition.commendations import Proposal
    from bot.telegram.context import BotContext
    from handlers.commendations import MAX_TEXT, _text

    context = cast(
        BotContext, SimpleNamespace(t=VI, deps=SimpleNamespace(settings=make_settings()))
    )
    units = [
        Candidate(
            UnitFacts(
                i, f"U{i}", f"Tổ dân phố số {i} khu dân cư", UnitKind.THON, 100, 95, 80, EARLY, 0
            ),
            (Merit(Achievement.REACHED_TARGET),),
        )
        for i in range(60)
    ]
    period = period_of_day(date(2026, 11, 25), "weekly")
    text = _text(context, Proposal(period, units, None), PREVIOUS)
    assert len(text) <= MAX_TEXT
    shown = text.count("Tổ dân phố số")
    assert 10 < shown < 60
    assert VI("commend.more", count=60 - shown) in text
    assert text.endswith(
        VI("commend.rule_shown", rule=VI.plain("commend.rule", top=3, target="90%"))
    )


async def test_an_empty_list_is_not_printed(
    app: BotApplication, client: SandboxClient, session_factory: Factory
) -> None:
    # No figures at all: nothing to propose, and "📄 Bản in" says so instead of a blank PDF.
    await client.open_chats([ADMIN_ID])
    [proposal] = await client.converse(ADMIN_ID, "/bieuduong")
    after = await client.last_seq()
    await client.press(ADMIN_ID, proposal["message_id"], _button(proposal, "📄 Bản in"))
    [answer] = await client.expect(ADMIN_ID, after=after)
    assert (answer["method"], answer["text"]) == (
        "answerCallbackQuery",
        VI.plain("commend.empty_pdf"),
    )
    assert not [e for e in await client.events(ADMIN_ID) if e["method"] == "sendDocument"]


class _Signal:
    """An outbox nobody drains: the test only counts what was queued."""

    def wake(self) -> None:
        """Nothing to wake."""


async def test_one_control_message_sends_one_list(
    db: Database, units: None, session_factory: Factory
) -> None:
    now = datetime.now(UTC)
    await _seed(session_factory, now)
    ids = await _unit_ids(session_factory)
    period = period_for(now, "weekly", TZ, CURRENT)

    async def press() -> Sent | None:
        return await send_commendation(
            db, _Signal(), period, [ids["T02"]], tz=TZ, target_percent=90, top=1,
            actor_user_id=ADMIN_ID, now=now, progress_chat_id=ADMIN_ID, progress_message_id=77,
        )  # fmt: skip

    first, again = await press(), await press()  # a replay after a crash, a second tap
    assert first is not None and again is not None
    assert again.commendation_id == first.commendation_id
    assert again.recipients == first.recipients
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Commendation)) == 1
