"""Gathering everything the progress report needs, in one read-only snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.broadcasts.directives import recent_directives
from bot.services.stats.export_rows import DirectiveRow, HistoryRow, OpinionRow
from bot.services.stats.stats import Summary, UnitStat, summary_and_units
from models import (
    COMPOSED_KINDS,
    Contact,
    ContactStatus,
    Evidence,
    Report,
    Role,
    Thread,
    ThreadMessage,
    Unit,
)
from models.db import Database

MAX_DIRECTIVES = 500
MAX_OPINIONS = 5000


@dataclass(frozen=True)
class ExportData:
    """What the XLSX (and PDF) report shows, as of `now`."""

    summary: Summary
    units: list[UnitStat]
    history: list[HistoryRow]
    directives: list[DirectiveRow]
    now: datetime
    # Who "Người báo cáo" names per unit id: the last reporter, else a registered contact,
    # else the head from the imported unit list.
    people: dict[int, str] = field(default_factory=dict)
    # Every message of every thread, by unit then time ("Ý kiến").
    opinions: list[OpinionRow] = field(default_factory=list)
    # Evidence photos and files each unit sent this period, by unit id.
    evidence: dict[int, int] = field(default_factory=dict)


async def report_history(session: AsyncSession) -> list[HistoryRow]:
    """Every report, oldest first, with its unit's name."""
    rows = await session.execute(
        select(
            Report.reported_at,
            Unit.name,
            Report.enrolled,
            Report.completed,
            Report.correction_reason,
            Report.reporter_name,
        )
        .join(Unit, Unit.id == Report.unit_id)
        .order_by(Report.reported_at, Report.id)
    )
    return [HistoryRow(*row) for row in rows]


async def directive_rows(session: AsyncSession) -> list[DirectiveRow]:
    """The directives sent (not the automatic reminders), newest first, with their counts."""
    return [
        DirectiveRow(r.created_at, r.number, r.subject, r.total, r.sent, r.acked_units, r.units)
        for r in await recent_directives(session, MAX_DIRECTIVES, COMPOSED_KINDS)
    ]


async def opinion_rows(session: AsyncSession) -> list[OpinionRow]:
    """The threads' messages, unit by unit, oldest first within each (the newest 5.000)."""
    newest = (
        select(ThreadMessage.id).order_by(ThreadMessage.id.desc()).limit(MAX_OPINIONS).subquery()
    )
    rows = await session.execute(
        select(
            ThreadMessage.created_at,
            Unit.name,
            ThreadMessage.author_name,
            ThreadMessage.side,
            ThreadMessage.kind,
            ThreadMessage.text,
            Thread.status,
        )
        .join(Thread, Thread.id == ThreadMessage.thread_id)
        .join(Unit, Unit.id == Thread.unit_id)
        .where(ThreadMessage.id.in_(select(newest.c.id)))
        .order_by(Unit.name, ThreadMessage.created_at, ThreadMessage.id)
    )
    return [OpinionRow(*row) for row in rows]


async def evidence_counts(session: AsyncSession, period_key: str) -> dict[int, int]:
    """How many photos and files each unit sent as evidence in a period."""
    rows = await session.execute(
        select(Evidence.unit_id, func.count())
        .where(Evidence.period_key == period_key)
        .group_by(Evidence.unit_id)
    )
    return {unit_id: int(count) for unit_id, count in rows}


async def unit_people(session: AsyncSession, stats: list[UnitStat]) -> dict[int, str]:
    """The name to show for each unit: who reported last, a registered head, or the list's."""
    registered: dict[int, str] = {}
    rows = await session.execute(
        select(Contact.unit_id, Contact.display_name)
        .where(Contact.unit_id.is_not(None), Contact.status == ContactStatus.ACTIVE)
        # Heads first (an officer may also be bound to a unit), then the first to register.
        .order_by(Contact.role != Role.HEAD, Contact.id)
    )
    for unit_id, name in rows:
        if unit_id is not None and name:
            registered.setdefault(unit_id, name)
    imported = {
        unit_id: name
        for unit_id, name in await session.execute(
            select(Unit.id, Unit.head_name).where(Unit.head_name.is_not(None))
        )
        if name
    }
    people: dict[int, str] = {}
    for stat in stats:
        name = stat.reporter or registered.get(stat.unit_id) or imported.get(stat.unit_id)
        if name:
            people[stat.unit_id] = name
    return people


async def export_data(db: Database, now: datetime, tz: ZoneInfo, period_kind: str) -> ExportData:
    """Read the report's content in one snapshot."""
    async with db.read() as session:
        summary, stats = await summary_and_units(session, now, tz, period_kind)
        return ExportData(
            summary,
            stats,
            await report_history(session),
            await directive_rows(session),
            now,
            await unit_people(session, stats),
            await opinion_rows(session),
            await evidence_counts(session, summary.period.key),
        )
