"""Commendation (biểu dương): propose a period's list from the figures, edit it, send it.

The list is proposed from four achievements, each judged on the figures standing at the end
of the period against those when it began:
- the thôn/buôn with the highest share of adults enrolled (the top COMMEND_TOP places);
- the thôn/buôn with the biggest rise since the period before, in points of their adults, so a
  small buôn and a large thôn compare fairly (the top COMMEND_TOP places; a rise needs a figure
  from before the period to rise from);
- every unit that reached TARGET_PERCENT during the period;
- every unit whose good model was spread during the period.
Ties are broken fairly: shares and rises are compared as people read them (to 0.1 %), equal
values share a rank and are all proposed even past the last place, and among equals the unit
that reached its figure first (the earlier report) is listed first. Agencies count staff, not
residents, so the two rankings are among thôn/buôn only, as /thongke ranks them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.broadcasts.audience import ALL, Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.dates import parse_vn_date
from bot.services.broadcasts.directives import OutboxSignal, create_directive
from bot.services.common.audit import record_event
from bot.services.common.keys import N_
from bot.services.reports.periods import Period, period_at, period_of_day, previous_period
from models import (
    Commendation,
    CommendationUnit,
    Delivery,
    Directive,
    GoodModel,
    GoodModelStatus,
    MessageKind,
    Report,
    Unit,
    UnitKind,
)
from models.db import Database

CURRENT, PREVIOUS = "current", "previous"
RESIDENTIAL = (UnitKind.THON, UnitKind.BUON, UnitKind.TO_DAN_PHO)
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


class Achievement(enum.StrEnum):
    """Why a unit is on the list, in the order the list shows them."""

    TOP_SHARE = "top_share"
    TOP_RISE = "top_rise"
    REACHED_TARGET = "reached_target"
    MODEL_SPREAD = "model_spread"
    # Added by the officer without any of the above.
    PROPOSED = "proposed"


ORDER = {achievement: index for index, achievement in enumerate(Achievement)}


@dataclass(frozen=True)
class Merit:
    """One achievement of a unit, with its place in a ranking (None when not ranked)."""

    achievement: Achievement
    rank: int | None = None
    # Why the officer added the unit by hand, as typed (PROPOSED only).
    reason: str | None = None


def tenths_of_percent(part: int, whole: int) -> int:
    """`part` as a share of `whole` in tenths of a percent, rounded half up (45,25 % → 453)."""
    return (part * 2000 + whole) // (2 * whole)


@dataclass(frozen=True)
class UnitFacts:
    """A unit's figures for a period: at its end, when it began, and its models spread."""

    unit_id: int
    code: str
    name: str
    kind: UnitKind
    adults: int | None
    enrolled: int | None
    start_enrolled: int | None
    # When the figure standing at the end was reported (who got there first).
    reported_at: datetime | None
    models_spread: int

    @property
    def residential(self) -> bool:
        """Thôn, buôn and tổ dân phố count residents; agencies count staff."""
        return self.kind in RESIDENTIAL

    @property
    def percent(self) -> float | None:
        """Enrolled as a share of adults at the end of the period."""
        if self.enrolled is None or not self.adults:
            return None
        return 100.0 * self.enrolled / self.adults

    @property
    def rise(self) -> int | None:
        """People enrolled during the period (None without a figure from before it)."""
        if self.enrolled is None or self.start_enrolled is None:
            return None
        return self.enrolled - self.start_enrolled

    def share_key(self) -> int | None:
        """The share as people read it (tenths of a percent), for ranking."""
        if self.enrolled is None or not self.adults:
            return None
        return tenths_of_percent(self.enrolled, self.adults)

    def rise_key(self) -> int | None:
        """The rise in tenths of a point of adults, for ranking (positive rises only)."""
        rise = self.rise
        if rise is None or rise <= 0 or not self.adults:
            return None
        return tenths_of_percent(rise, self.adults)


@dataclass(frozen=True)
class Candidate:
    """A unit on the list, with what it achieved."""

    facts: UnitFacts
    merits: tuple[Merit, ...]

    def sort_key(self) -> tuple[int, int, int, datetime, str]:
        """Best achievement first, then its rank, higher share, earlier report, name."""
        first = self.merits[0]
        return (
            ORDER[first.achievement],
            first.rank or 0,
            -(self.facts.share_key() or 0),
            self.facts.reported_at or FAR_FUTURE,
            self.facts.name,
        )


def ranks(
    facts: Iterable[UnitFacts], key: Callable[[UnitFacts], int | None], top: int
) -> dict[int, int]:
    """Unit id → rank among the units with a positive key, within the first `top` places.

    Equal keys share a rank (1, 2, 2, 4): a tie at the last place brings every tied unit in.
    """
    scored = [(value, fact.unit_id) for fact in facts if (value := key(fact)) is not None]
    scored = [(value, unit_id) for value, unit_id in scored if value > 0]
    values = sorted((value for value, _ in scored), reverse=True)
    found: dict[int, int] = {}
    for value, unit_id in scored:
        rank = 1 + sum(1 for other in values if other > value)
        if rank <= top:
            found[unit_id] = rank
    return found


def commune_share_key(residential: Sequence[UnitFacts]) -> int:
    """The thôn/buôn's share together (tenths of a percent), over units with both figures."""
    known = [f for f in residential if f.enrolled is not None and f.adults]
    adults = sum(f.adults or 0 for f in known)
    enrolled = sum(f.enrolled or 0 for f in known)
    return tenths_of_percent(enrolled, adults) if adults else 0


def reached_target(facts: UnitFacts, target_percent: float) -> bool:
    """At or above the target at the end of the period, and below it (or unknown) before."""
    if facts.enrolled is None or not facts.adults:
        return False
    now = facts.enrolled * 100.0 >= target_percent * facts.adults
    before = (
        facts.start_enrolled is not None
        and facts.start_enrolled * 100.0 >= target_percent * facts.adults
    )
    return now and not before


def merits_of(
    facts: Sequence[UnitFacts], target_percent: float, top: int
) -> dict[int, list[Merit]]:
    """Every unit's achievements in the period (units with none are left out)."""
    residential = [f for f in facts if f.residential]
    # A high rank is praise only at or above the commune's own share: third place at 4,6 %
    # while the commune stands at 20 % is not an achievement.
    floor = commune_share_key(residential)
    share = ranks(
        [f for f in residential if (f.share_key() or 0) >= floor], UnitFacts.share_key, top
    )
    rise = ranks(residential, UnitFacts.rise_key, top)
    found: dict[int, list[Merit]] = {}
    for fact in facts:
        merits: list[Merit] = []
        if fact.unit_id in share:
            merits.append(Merit(Achievement.TOP_SHARE, share[fact.unit_id]))
        if fact.unit_id in rise:
            merits.append(Merit(Achievement.TOP_RISE, rise[fact.unit_id]))
        if reached_target(fact, target_percent):
            merits.append(Merit(Achievement.REACHED_TARGET))
        if fact.models_spread:
            merits.append(Merit(Achievement.MODEL_SPREAD))
        if merits:
            found[fact.unit_id] = merits
    return found


def propose(facts: Sequence[UnitFacts], target_percent: float, top: int) -> list[Candidate]:
    """The proposed list: every unit with an achievement, best first."""
    merits = merits_of(facts, target_percent, top)
    chosen = [Candidate(f, tuple(merits[f.unit_id])) for f in facts if f.unit_id in merits]
    return sorted(chosen, key=Candidate.sort_key)


def candidates_for(
    facts: Sequence[UnitFacts],
    unit_ids: Iterable[int],
    target_percent: float,
    top: int,
    reasons: Mapping[int, str] = MappingProxyType({}),
) -> list[Candidate]:
    """The officer's list: these units with their achievements, sorted.

    A unit with none was added by hand: "proposed", with the reason the officer typed if any.
    """
    wanted = set(unit_ids)
    merits = merits_of(facts, target_percent, top)
    chosen = [
        Candidate(
            f,
            tuple(
                merits.get(f.unit_id)
                or [Merit(Achievement.PROPOSED, reason=reasons.get(f.unit_id))]
            ),
        )
        for f in facts
        if f.unit_id in wanted
    ]
    return sorted(chosen, key=Candidate.sort_key)


def period_for(now: datetime, period_kind: str, tz: ZoneInfo, which: str) -> Period:
    """The current period, or the one before it."""
    period = period_at(now, period_kind, tz)
    return previous_period(period, period_kind) if which == PREVIOUS else period


WEEK_KEY = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
MONTH_KEY = re.compile(r"^(\d{4})-(\d{1,2})$")


def period_named(text: str, now: datetime, period_kind: str, tz: ZoneInfo) -> Period | None:
    """Read `--period`: current, previous, a period key (2026-W48, 2026-11) or a dd/mm/yyyy day.

    A key or a day names the period of REPORT_PERIOD that holds it; None when unreadable.
    """
    value = text.strip()
    if value.lower() in ("", CURRENT):
        return period_for(now, period_kind, tz, CURRENT)
    if value.lower() == PREVIOUS:
        return period_for(now, period_kind, tz, PREVIOUS)
    day: date | None = None
    try:
        if week := WEEK_KEY.match(value):
            day = date.fromisocalendar(int(week[1]), int(week[2]), 1)
        elif month := MONTH_KEY.match(value):
            # A monthly key is the reporting month, whose period ends on its 14th (NĐ 09/2019).
            day = date(int(month[1]), int(month[2]), 14)
        else:
            day = parse_vn_date(value, now.astimezone(tz).date())
    except ValueError:
        return None
    return period_of_day(day, period_kind) if day is not None else None


def period_starting(first_day: date, period_kind: str) -> Period:
    """The period that begins on (or contains) a day."""
    return period_of_day(first_day, period_kind)


def _newest_before(moment: datetime) -> ScalarSelect[int]:
    """The id of each unit's newest report before an instant (correlated with units)."""
    return (
        select(Report.id)
        .where(Report.unit_id == Unit.id, Report.reported_at < moment)
        .order_by(Report.reported_at.desc(), Report.id.desc())
        .limit(1)
        .correlate(Unit)
        .scalar_subquery()
    )


async def period_facts(session: AsyncSession, period: Period, tz: ZoneInfo) -> list[UnitFacts]:
    """Every active unit's figures at the start and end of a period, and its models spread."""
    start, end = period.start(tz), period.end(tz)
    rows = (
        await session.execute(
            select(
                Unit.id,
                Unit.code,
                Unit.name,
                Unit.kind,
                Unit.adults,
                _newest_before(end),
                _newest_before(start),
            )
            .where(Unit.active.is_(True))
            .order_by(Unit.code)
        )
    ).all()
    report_ids = {rid for row in rows for rid in row[5:] if rid is not None}
    figures: dict[int, tuple[int, datetime]] = {}
    if report_ids:
        found = await session.execute(
            select(Report.id, Report.enrolled, Report.reported_at).where(Report.id.in_(report_ids))
        )
        figures = {rid: (enrolled, at) for rid, enrolled, at in found}
    spread: dict[int, int] = {
        unit_id: int(count)
        for unit_id, count in await session.execute(
            select(GoodModel.unit_id, func.count())
            .where(
                GoodModel.status == GoodModelStatus.SPREAD,
                GoodModel.spread_at >= start,
                GoodModel.spread_at < end,
            )
            .group_by(GoodModel.unit_id)
        )
    }
    joined = await _merged_in_at_start(session, start, end)
    facts = []
    for unit_id, code, name, kind, adults, end_id, start_id in rows:
        at_end = figures.get(end_id) if end_id is not None else None
        at_start = figures.get(start_id) if start_id is not None else None
        if at_start and unit_id in joined:  # its figure at the end adds theirs: so must the start
            at_start = (at_start[0] + joined[unit_id], at_start[1])
        facts.append(
            UnitFacts(
                unit_id=unit_id,
                code=code,
                name=name,
                kind=UnitKind(kind),
                adults=adults,
                enrolled=at_end[0] if at_end else None,
                start_enrolled=at_start[0] if at_start else None,
                reported_at=_aware(at_end[1]) if at_end else None,
                models_spread=spread.get(unit_id, 0),
            )
        )
    return facts


async def _merged_in_at_start(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[int, int]:
    """What the units merged during the period stood at when it began, by the unit they joined.

    A merge writes the sum into the joined unit's history, so without this its rise would
    count the merged unit's people as enrolled that period. A chain (A into B, B into C) ends
    at C.
    """
    rows = (
        await session.execute(
            select(Unit.id, Unit.merged_into_id, _newest_before(start)).where(
                Unit.merged_at >= start, Unit.merged_at < end
            )
        )
    ).all()
    into = {unit_id: target for unit_id, target, _report in rows}
    reports = {report for *_ids, report in rows if report is not None}
    enrolled = dict(
        (await session.execute(select(Report.id, Report.enrolled).where(Report.id.in_(reports))))
        .tuples()
        .all()
    )
    joined: dict[int, int] = {}
    for unit_id, _target, report in rows:
        if report is None:
            continue
        target = into[unit_id]
        while target in into:  # a chain of merges within the period
            target = into[target]
        joined[target] = joined.get(target, 0) + enrolled[report]
    return joined


def _aware(value: datetime) -> datetime:
    """Timestamps read through plain column selects carry UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Proposal:
    """What /bieuduong shows for a period."""

    period: Period
    candidates: list[Candidate]
    # When a list was last sent for this period (None: never).
    sent_at: datetime | None


async def _last_sent(session: AsyncSession, period: Period) -> Commendation | None:
    """The newest commendation sent for a period."""
    found: Commendation | None = await session.scalar(
        select(Commendation)
        .where(Commendation.period_key == period.key)
        .order_by(Commendation.id.desc())
        .limit(1)
    )
    return found


async def commendation_view(
    db: Database,
    period: Period,
    tz: ZoneInfo,
    unit_ids: Iterable[int] | None,
    *,
    target_percent: float,
    top: int,
    reasons: Mapping[int, str] = MappingProxyType({}),
) -> Proposal:
    """The list the figures propose for a period (None: no edits yet), or the edited one.

    Read in one snapshot, with fresh figures each time.
    """
    async with db.read() as session:
        facts = await period_facts(session, period, tz)
        sent = await _last_sent(session, period)
    if unit_ids is None:
        candidates = propose(facts, target_percent, top)
    else:
        candidates = candidates_for(facts, unit_ids, target_percent, top, reasons)
    return Proposal(period, candidates, sent.created_at if sent else None)


def merit_entry(merit: Merit) -> list[Any]:
    """A merit as stored: [achievement, rank], and the typed reason when there is one."""
    entry: list[Any] = [merit.achievement.value, merit.rank]
    return [*entry, merit.reason] if merit.reason else entry


def merit_of(entry: Sequence[Any]) -> Merit:
    """A stored merit back (lists sent before reasons existed have two items)."""
    reason = entry[2] if len(entry) > 2 else None
    return Merit(Achievement(entry[0]), entry[1], reason)


def candidate_values(candidate: Candidate) -> dict[str, Any]:
    """A unit of the list as plain values (stored with the messages, rendered per language)."""
    facts = candidate.facts
    return {
        "unit": facts.name,
        "merits": [merit_entry(merit) for merit in candidate.merits],
        "enrolled": facts.enrolled,
        "adults": facts.adults,
        "rise": facts.rise,
        "models": facts.models_spread,
    }


@dataclass(frozen=True)
class Sent:
    """A commendation sent: its list and how many people the list reaches."""

    commendation_id: int
    candidates: list[Candidate]
    recipients: int


async def _sent_from(session: AsyncSession, chat_id: int, message_id: int) -> Sent | None:
    """The commendation a control message already sent, if it did."""
    row = (
        await session.execute(
            select(Commendation.id, Directive.id)
            .join(Directive, Commendation.directive_id == Directive.id)
            .where(
                Directive.progress_chat_id == chat_id,
                Directive.progress_message_id == message_id,
            )
        )
    ).first()
    if row is None:
        return None
    commendation_id, directive_id = row
    recipients = await session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.directive_id == directive_id)
    )
    return Sent(commendation_id, [], int(recipients or 0))


async def send_commendation(
    db: Database,
    outbox: OutboxSignal,
    period: Period,
    unit_ids: Iterable[int],
    *,
    tz: ZoneInfo,
    target_percent: float,
    top: int,
    actor_user_id: int | None,
    now: datetime,
    reasons: Mapping[int, str] = MappingProxyType({}),
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> Sent | None:
    """Handle "📤 Gửi biểu dương": store the list, send it to every unit, congratulate each.

    One transaction: the commendation and its units, "🏆 Biểu dương kỳ …" to every unit
    (acknowledged and tracked, its progress in the officer's message), and one congratulation
    to each commended unit naming what it achieved. None when the list is empty.
    """
    async with db.write() as session:
        facts = await period_facts(session, period, tz)
        candidates = candidates_for(facts, unit_ids, target_percent, top, reasons)
        if not candidates:
            return None
        if progress_chat_id is not None and progress_message_id is not None:
            # One list per control message: a replayed or repeated "📤 Gửi" sends nothing more.
            already = await _sent_from(session, progress_chat_id, progress_message_id)
            if already is not None:
                return replace(already, candidates=candidates)
        values = [candidate_values(candidate) for candidate in candidates]
        content = DirectiveContent(
            subject="",
            body="",
            kind=MessageKind.COMMENDATION.value,
            body_key=N_("commend.list"),
            body_params={"period": period.label, "target": target_percent, "units": values},
        )
        directive, recipients = await create_directive(
            session,
            content,
            Audience(ALL),
            actor_user_id=actor_user_id,
            now=now,
            progress_chat_id=progress_chat_id,
            progress_message_id=progress_message_id,
        )
        commendation = Commendation(
            period_key=period.key,
            period_first=period.first_day,
            period_last=period.last_day,
            target_percent=target_percent,
            created_by=actor_user_id,
            created_at=now,
            directive_id=directive.id,
        )
        session.add(commendation)
        await session.flush()
        for position, (candidate, value) in enumerate(zip(candidates, values, strict=True), 1):
            session.add(
                CommendationUnit(
                    commendation_id=commendation.id,
                    unit_id=candidate.facts.unit_id,
                    position=position,
                    merits=value["merits"],
                    adults=candidate.facts.adults,
                    enrolled=candidate.facts.enrolled,
                    start_enrolled=candidate.facts.start_enrolled,
                    models_spread=candidate.facts.models_spread,
                )
            )
            congratulation = DirectiveContent.notice(
                N_("commend.congrats"), {"period": period.label, "target": target_percent, **value}
            )
            await create_directive(
                session,
                congratulation,
                Audience("units", (candidate.facts.code,)),
                actor_user_id=actor_user_id,
                now=now,
            )
        record_event(
            session,
            actor_user_id,
            "commendation.sent",
            commendation_id=commendation.id,
            period=period.key,
            units=[c.facts.code for c in candidates],
            deliveries=recipients,
        )
    outbox.wake()
    return Sent(commendation.id, candidates, recipients)


@dataclass(frozen=True)
class Sheet:
    """What the printed list holds: the period, its units, and whether it was sent."""

    period: Period
    candidates: list[Candidate]
    target_percent: float
    sent_at: datetime | None


async def commendation_sheet(
    db: Database, period: Period, tz: ZoneInfo, *, target_percent: float, top: int
) -> Sheet:
    """The list to print: the one sent for the period if any, else the one proposed now."""
    async with db.read() as session:
        sent = await _last_sent(session, period)
        if sent is None:
            facts = await period_facts(session, period, tz)
            return Sheet(period, propose(facts, target_percent, top), target_percent, None)
        rows = await session.execute(
            select(CommendationUnit, Unit)
            .join(Unit, Unit.id == CommendationUnit.unit_id)
            .where(CommendationUnit.commendation_id == sent.id)
            .order_by(CommendationUnit.position)
        )
        candidates = [_stored(row, unit) for row, unit in rows]
    return Sheet(period, candidates, sent.target_percent, sent.created_at)


def _stored(row: CommendationUnit, unit: Unit) -> Candidate:
    """A unit of a sent list, as it was sent."""
    facts = UnitFacts(
        unit_id=unit.id,
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        adults=row.adults,
        enrolled=row.enrolled,
        start_enrolled=row.start_enrolled,
        reported_at=None,
        models_spread=row.models_spread,
    )
    merits = tuple(merit_of(entry) for entry in row.merits)
    return Candidate(facts, merits)
