"""Milestones: a unit's report crosses 50 % of adults, then the target, for the first time.

Checked by the report writer in the same transaction as the report (so a milestone is stored,
congratulated and told to officers exactly once, whatever races or redeliveries happen): the
unique key (unit, kind) keeps one row, and only the insert that made it announces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.broadcasts.audience import STAFF, Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import create_directive
from bot.services.common.audit import record_event
from bot.services.common.keys import N_
from models import Milestone, MilestoneKind, Unit, scope, upsert

HALF_PERCENT = 50.0


@dataclass(frozen=True)
class Reached:
    """A milestone a report reached: which, the percentage crossed, and the unit's figures."""

    kind: MilestoneKind
    threshold: float
    enrolled: int
    adults: int

    @property
    def percent(self) -> float:
        """The unit's share of adults enrolled."""
        return 100.0 * self.enrolled / self.adults


def thresholds(target_percent: float) -> list[tuple[MilestoneKind, float]]:
    """The milestones in order: 50 %, then the target (50 % alone is skipped below it)."""
    found = [(MilestoneKind.TARGET, target_percent)]
    if target_percent > HALF_PERCENT:
        found.insert(0, (MilestoneKind.HALF, HALF_PERCENT))
    return found


def _at_or_above(enrolled: int, adults: int, threshold: float) -> bool:
    """Whether enrolled is at least `threshold` % of adults."""
    return enrolled * 100.0 >= threshold * adults


def crossed(
    previous: int | None, enrolled: int, adults: int | None, target_percent: float
) -> list[tuple[MilestoneKind, float]]:
    """The milestones a figure goes up through: below (or unknown) before, at or above now."""
    if not adults or adults <= 0:
        return []
    return [
        (kind, threshold)
        for kind, threshold in thresholds(target_percent)
        if _at_or_above(enrolled, adults, threshold)
        and (previous is None or not _at_or_above(previous, adults, threshold))
    ]


async def record_milestones(
    session: AsyncSession,
    *,
    unit_id: int,
    unit_name: str,
    report_id: int,
    previous: int | None,
    enrolled: int,
    adults: int | None,
    target_percent: float,
    actor_user_id: int | None,
    now: datetime,
) -> tuple[Reached, ...]:
    """Store the milestones this report reached for the first time, and tell officers once.

    Runs inside the report's transaction. Returns the milestones newly reached (the reply
    congratulates the unit on them); one already recorded for the unit is never reached again.
    """
    reached: list[Reached] = []
    for kind, threshold in crossed(previous, enrolled, adults, target_percent):
        assert adults is not None
        inserted = await session.scalar(
            upsert.insert(session, Milestone)
            .values(
                unit_id=unit_id,
                kind=kind,
                threshold=threshold,
                enrolled=enrolled,
                adults=adults,
                report_id=report_id,
                reached_at=now,
            )
            .on_conflict_do_nothing(index_elements=["unit_id", "kind"])
            .returning(Milestone.id)
        )
        if inserted is None:
            continue
        reached.append(Reached(kind, threshold, enrolled, adults))
        record_event(
            session,
            actor_user_id,
            "milestone.reached",
            unit_id=unit_id,
            kind=kind.value,
            threshold=threshold,
            enrolled=enrolled,
            report_id=report_id,
        )
    if reached:
        top = reached[-1]
        content = DirectiveContent.notice(
            N_("milestone.officers"),
            {
                "unit": unit_name,
                "threshold": top.threshold,
                "percent": top.percent,
                "enrolled": top.enrolled,
                "adults": top.adults,
                "target": top.kind == MilestoneKind.TARGET,
            },
        )
        # Written by the report writer for every commune at once: the line goes to the unit's
        # own commune's officers (or the province's, when it has none yet).
        commune_id = await session.scalar(select(Unit.commune_id).where(Unit.id == unit_id))
        with scope.narrowed(commune_id):
            await create_directive(session, content, Audience(STAFF), actor_user_id=None, now=now)
    return tuple(reached)


async def milestones_of_report(session: AsyncSession, report_id: int) -> tuple[Reached, ...]:
    """The milestones a stored report reached (a redelivered update gets them again)."""
    rows = await session.scalars(
        select(Milestone).where(Milestone.report_id == report_id).order_by(Milestone.threshold)
    )
    return tuple(Reached(m.kind, m.threshold, m.enrolled, m.adults) for m in rows)
