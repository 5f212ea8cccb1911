"""Gathering everything the XLSX report needs, in one read-only session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.directives import recent_directives
from bot.services.export_rows import DirectiveRow, HistoryRow
from bot.services.stats import summary_and_units
from models import Report, Unit

MAX_DIRECTIVES = 500


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
    """The directives sent, newest first, with their counts."""
    return [
        DirectiveRow(
            r.directive.created_at,
            r.directive.number,
            r.directive.subject,
            r.total,
            r.sent,
            r.acked_units,
            r.units,
        )
        for r in await recent_directives(session, MAX_DIRECTIVES)
        if r.directive.kind == "directive"
    ]


async def progress_workbook(
    session: AsyncSession, commune: str, now: datetime, tz: ZoneInfo, period_kind: str
) -> bytes:
    """The XLSX report for the current period."""
    # openpyxl is imported only when someone exports: it is heavy for an idle bot.
    from bot.services.export_xlsx import build_workbook

    summary, stats = await summary_and_units(session, now, tz, period_kind)
    return build_workbook(
        commune,
        summary,
        stats,
        await report_history(session),
        await directive_rows(session),
        tz,
        now,
    )
