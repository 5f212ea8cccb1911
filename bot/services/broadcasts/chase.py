"""Chasing late units: the one place a chase is built, for "🔔 Nhắc ngay" and the schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.broadcasts.audience import Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import OutboxSignal, create_directive
from bot.services.common.keys import N_
from bot.services.reports.periods import Period
from bot.services.stats.stats import UnitStat, late_units, summary_and_units
from models import Contact, ContactStatus, MessageKind
from models.db import Database


def chase_content(period: Period) -> DirectiveContent:
    """What a late unit receives: a catalog message, worded in each recipient's language."""
    return DirectiveContent(
        kind=MessageKind.CHASE.value,
        subject="",
        body="",
        body_key=N_("message.chase"),
        body_params={"period": period.label},
    )


async def reachable(session: AsyncSession, late: list[UnitStat]) -> list[UnitStat]:
    """The late units that have someone registered: a chase to the others reaches no one."""
    if not late:
        return []
    with_contacts = set(
        await session.scalars(
            select(Contact.unit_id)
            .where(
                Contact.unit_id.in_([stat.unit_id for stat in late]),
                Contact.status == ContactStatus.ACTIVE,
            )
            .distinct()
        )
    )
    return [stat for stat in late if stat.unit_id in with_contacts]


async def queue_chase(
    session: AsyncSession,
    late: list[UnitStat],
    period: Period,
    actor_user_id: int | None,
    now: datetime,
) -> int:
    """Write the chase to these units' contacts in the caller's transaction; returns people.

    Only units with someone to reach are chased (and named in the message's audience).
    """
    late = await reachable(session, late)
    if not late:
        return 0
    audience = Audience("units", tuple(stat.code for stat in late))
    _, count = await create_directive(
        session, chase_content(period), audience, actor_user_id=actor_user_id, now=now
    )
    return count


@dataclass(frozen=True)
class ChaseResult:
    """How many units are late, how many of them the chase reaches, and how many people."""

    late_units: int
    chased_units: int
    recipients: int


async def chase_now(
    db: Database,
    outbox: OutboxSignal,
    *,
    actor_user_id: int | None,
    now: datetime,
    tz: ZoneInfo,
    period_kind: str,
) -> ChaseResult:
    """Handle "🔔 Nhắc ngay": chase every unit with no report this period; wake the sender."""
    async with db.write() as session:
        summary, stats = await summary_and_units(session, now, tz, period_kind)
        late = late_units(stats)
        chased = await reachable(session, late)
        recipients = await queue_chase(session, chased, summary.period, actor_user_id, now)
    if recipients:
        outbox.wake()
    return ChaseResult(len(late), len(chased), recipients)
