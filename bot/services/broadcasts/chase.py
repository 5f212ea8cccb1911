"""Chasing late units: the one place a chase is built, for "🔔 Nhắc ngay" and the schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.broadcasts.audience import Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import OutboxSignal, create_directive
from bot.services.common.keys import N_
from bot.services.reports.periods import DeadlineRule, Period
from bot.services.stats.stats import UnitStat, late_units, summary_and_units
from models import Contact, ContactStatus, Directive, MessageKind
from models.db import Database


def nudge_params(
    period: Period, deadline: datetime | None, now: datetime | None = None
) -> dict[str, str]:
    """What a reminder or a chase carries: the period, its deadline, whether it had passed.

    The deadline is local time; "passed" is judged when the message is queued, so a reminder
    sent on Sunday for a Friday deadline says the deadline has passed.
    """
    params = {"period": period.label}
    if deadline is not None:
        params["deadline"] = deadline.replace(tzinfo=None).isoformat(timespec="minutes")
        if now is not None and now >= deadline:
            params["passed"] = "1"
    return params


def chase_content(
    period: Period, deadline: datetime | None = None, now: datetime | None = None
) -> DirectiveContent:
    """What a late unit receives: a catalog message, worded per recipient (their unit named)."""
    return DirectiveContent(
        kind=MessageKind.CHASE.value,
        subject="",
        body="",
        body_key=N_("message.chase"),
        body_params=nudge_params(period, deadline, now),
    )


async def reachable(session: AsyncSession, late: list[UnitStat]) -> list[UnitStat]:
    """The late units that have someone registered to chase."""
    if not late:
        return []
    reached = set(
        await session.scalars(
            select(Contact.unit_id)
            .where(
                Contact.unit_id.in_([stat.unit_id for stat in late]),
                Contact.status == ContactStatus.ACTIVE,
            )
            .group_by(Contact.unit_id)
            .having(func.count() > 0)
        )
    )
    return [stat for stat in late if stat.unit_id in reached]


@dataclass(frozen=True)
class Chased:
    """What one chase queued: the units it reaches and the people in them."""

    units: int
    people: int


async def queue_chase(
    session: AsyncSession,
    late: list[UnitStat],
    period: Period,
    actor_user_id: int | None,
    now: datetime,
    deadline: datetime | None = None,
) -> Chased:
    """Write the chase in the caller's transaction, to the late units with someone registered.

    Units with nobody registered are skipped: there is nobody to tell.
    """
    targets = await reachable(session, late)
    if not targets:
        return Chased(0, 0)
    audience = Audience("units", tuple(stat.code for stat in targets))
    _, count = await create_directive(
        session,
        chase_content(period, deadline, now),
        audience,
        actor_user_id=actor_user_id,
        now=now,
    )
    return Chased(len(targets), count)


@dataclass(frozen=True)
class ChaseResult:
    """Late units, those the chase reaches, and how many people it will reach."""

    late_units: int
    chased_units: int
    recipients: int
    # A chase went out this recently (a second press, or one whose answer was lost): none now.
    recent_at: datetime | None = None

    @property
    def unreachable(self) -> int:
        """Late units with nobody registered, who cannot be chased."""
        return self.late_units - self.chased_units


# Heads are chased at most once in this window, however often "🔔 Nhắc ngay" is pressed.
REPEAT_MINUTES = 10


async def _recent_chase(session: AsyncSession, now: datetime) -> datetime | None:
    """When the last chase (pressed or scheduled) was queued, if within REPEAT_MINUTES."""
    since = now - timedelta(minutes=REPEAT_MINUTES)
    latest: datetime | None = await session.scalar(
        select(func.max(Directive.created_at)).where(
            Directive.kind == MessageKind.CHASE, Directive.created_at > since
        )
    )
    return latest


async def chase_now(
    db: Database,
    outbox: OutboxSignal,
    *,
    actor_user_id: int | None,
    now: datetime,
    tz: ZoneInfo,
    period_kind: str,
    deadline_rule: DeadlineRule | None = None,
) -> ChaseResult:
    """Handle "🔔 Nhắc ngay": chase every unit with no report this period; wake the sender."""
    async with db.write() as session:
        summary, stats = await summary_and_units(session, now, tz, period_kind)
        late = late_units(stats)
        recent = await _recent_chase(session, now)
        if recent is not None:
            return ChaseResult(len(late), 0, 0, recent_at=recent)
        deadline = deadline_rule.due(summary.period, period_kind, tz) if deadline_rule else None
        chased = await queue_chase(session, late, summary.period, actor_user_id, now, deadline)
    if chased.people:
        outbox.wake()
    return ChaseResult(len(late), chased.units, chased.people)
