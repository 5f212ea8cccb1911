"""The province's view: one line per commune, ranked, with the communes lagging marked.

Read in one grouped SQL statement over unit_progress, so 102 communes and 3,000 units cost one
round trip. A commune officer never gets here: their scope narrows every query to their own
commune (models/scope.py), and the handler shows them their commune's view instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.broadcasts.audience import STAFF, Audience, audience_size
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import OutboxSignal, create_directive
from bot.services.common.keys import N_
from bot.services.reports.periods import DeadlineRule, Period, period_at
from bot.services.stats.stats import RESIDENTIAL, before_period
from models import Commune, MessageKind, Unit, UnitProgress, scope
from models.db import Database

# A commune whose units mostly have not reported this period is marked as lagging.
LAGGING_COMPLETENESS = 0.5


@dataclass(frozen=True)
class CommuneLine:
    """One commune this period: units reported of expected, on time, adults enrolled."""

    code: str
    name: str
    units: int
    reported: int
    on_time: int
    adults: int
    enrolled: int
    # Its thôn/buôn's enrolled figure when the period began (for the rise).
    start_enrolled: int = 0

    @property
    def rise_points(self) -> float:
        """The rise this period, in points of its adults (a small commune compares fairly)."""
        return 100.0 * (self.enrolled - self.start_enrolled) / self.adults if self.adults else 0.0

    @property
    def completeness(self) -> float:
        """Units reported this period out of units expected (0 when it has none)."""
        return self.reported / self.units if self.units else 0.0

    @property
    def percent(self) -> float | None:
        """Adults enrolled in its thôn/buôn as a share of their adults."""
        return 100.0 * self.enrolled / self.adults if self.adults else None

    @property
    def lagging(self) -> bool:
        """Fewer than half of its units reported this period."""
        return self.completeness < LAGGING_COMPLETENESS


@dataclass(frozen=True)
class ProvinceView:
    """Every commune, best share first, and the province's totals."""

    period: Period
    communes: list[CommuneLine]

    @property
    def adults(self) -> int:
        """The province's adults in thôn/buôn."""
        return sum(line.adults for line in self.communes)

    @property
    def enrolled(self) -> int:
        """The province's adults enrolled."""
        return sum(line.enrolled for line in self.communes)

    @property
    def percent(self) -> float | None:
        """The province's share."""
        return 100.0 * self.enrolled / self.adults if self.adults else None


async def is_province(db: Database) -> bool:
    """Whether this deployment serves several communes (its unit file named them)."""
    async with db.read() as session:
        return await has_communes(session)


async def has_communes(session: AsyncSession) -> bool:
    """`is_province` inside the caller's transaction."""
    return bool(await session.scalar(select(func.count()).select_from(Commune)))


# The province's digest names the communes most behind, and counts the rest.
DIGEST_COMMUNES = 20


def province_digest(lines: list[CommuneLine], period: Period, province: str) -> DirectiveContent:
    """The province's weekly digest for its officers: the totals, then the communes behind."""
    behind = sorted(
        (line for line in lines if line.reported < line.units),
        key=lambda line: (line.completeness, line.code),
    )
    adults = sum(line.adults for line in lines)
    enrolled = sum(line.enrolled for line in lines)
    return DirectiveContent(
        kind=MessageKind.DIGEST.value,
        subject="",
        body="",
        body_key=N_("message.province_digest"),
        body_params={
            "province": province,
            "period": period.label,
            "communes": len(lines),
            "enrolled": enrolled,
            "adults": adults,
            "percent": 100.0 * enrolled / adults if adults else None,
            "reported": sum(line.reported for line in lines),
            "units": sum(line.units for line in lines),
            "behind": [
                [line.name, line.code, line.reported, line.units]
                for line in behind[:DIGEST_COMMUNES]
            ],
            "more": max(len(behind) - DIGEST_COMMUNES, 0),
        },
    )


async def scope_commune_name(session: AsyncSession, fallback: str) -> str:
    """The name texts give the scope's commune ("Ea Knốp"), else `fallback` (COMMUNE_NAME)."""
    commune_id = scope.current_commune.get()
    commune = await session.get(Commune, commune_id) if commune_id is not None else None
    return commune.short_name if commune is not None else fallback


async def current_commune_name(db: Database, fallback: str) -> str:
    """`scope_commune_name` in its own read (none when nothing is narrowed)."""
    if not scope.is_narrowed():
        return fallback
    async with db.read() as session:
        return await scope_commune_name(session, fallback)


async def commune_by_code(db: Database, code: str) -> Commune | None:
    """A commune by its code, within the reader's scope (another's is simply not found)."""
    async with db.read() as session:
        commune: Commune | None = await session.scalar(
            select(Commune).where(Commune.code == code.strip())
        )
        return commune


async def commune_lines(session: AsyncSession, period: Period, due: datetime) -> list[CommuneLine]:
    """Per commune: active units, reported this period, on time, and the thôn/buôn totals."""
    this_period = UnitProgress.period_key == period.key
    residential = Unit.kind.in_(RESIDENTIAL)
    rows = await session.execute(
        select(
            Commune.code,
            Commune.name,
            func.count(Unit.id),
            func.coalesce(func.sum(case((this_period, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((and_(this_period, UnitProgress.reported_at <= due), 1), else_=0)),
                0,
            ),
            func.coalesce(func.sum(case((residential, Unit.adults), else_=0)), 0),
            func.coalesce(func.sum(case((residential, UnitProgress.enrolled), else_=0)), 0),
            func.coalesce(func.sum(case((residential, before_period(period.key)), else_=0)), 0),
        )
        .select_from(Commune)
        .outerjoin(Unit, and_(Unit.commune_id == Commune.id, Unit.active.is_(True)))
        .outerjoin(UnitProgress, UnitProgress.unit_id == Unit.id)
        .group_by(Commune.id, Commune.code, Commune.name)
    )
    return [CommuneLine(row[0], row[1], *(int(value) for value in row[2:])) for row in rows]


async def province_view(
    db: Database, now: datetime, tz: ZoneInfo, period_kind: str, deadline: DeadlineRule
) -> ProvinceView:
    """Every commune's line for the current period, best share first."""
    period = period_at(now, period_kind, tz)
    async with db.read() as session:
        lines = await commune_lines(session, period, deadline.due(period, period_kind, tz))
    lines.sort(key=lambda line: (-(line.percent or 0.0), line.code))
    return ProvinceView(period, lines)


@dataclass(frozen=True)
class Nudged:
    """What "🔔 Nhắc cán bộ xã" did: how many of the commune's officers it reaches."""

    officers: int


async def nudge_commune_officers(
    db: Database,
    outbox: OutboxSignal,
    commune: Commune,
    line: CommuneLine,
    period: Period,
    *,
    actor_user_id: int | None,
    now: datetime,
) -> Nudged:
    """Tell one commune's officers how many of their units have not reported this period.

    Queued in the outbox like every message; a commune with no officer yet gets nothing (the
    province would only be writing to itself).
    """
    with scope.narrowed(commune.id):
        async with db.write() as session:
            _, officers = await audience_size(session, Audience(STAFF))
            if officers:
                content = DirectiveContent.notice(
                    N_("province.nudge_text"),
                    {
                        "commune": commune.name,
                        "late": line.units - line.reported,
                        "units": line.units,
                        "period": period.label,
                    },
                )
                await create_directive(
                    session, content, Audience(STAFF), actor_user_id=actor_user_id, now=now
                )
    if officers:
        outbox.wake()
    return Nudged(officers)


async def commune_line(
    db: Database, code: str, view: ProvinceView
) -> tuple[Commune, CommuneLine, Period] | None:
    """One commune's line in the view (within the reader's scope), or None."""
    commune = await commune_by_code(db, code)
    if commune is None:
        return None
    line = next((line for line in view.communes if line.code == commune.code), None)
    return None if line is None else (commune, line, view.period)


async def communes_in_order(db: Database) -> list[Commune]:
    """The communes of the reader's scope, by code."""
    async with db.read() as session:
        return list(await session.scalars(select(Commune).order_by(Commune.code)))
