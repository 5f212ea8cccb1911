"""Read-only views for admins: units with their contact counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Contact, ContactStatus, Unit, UnitKind
from models.db import Database


@dataclass(frozen=True)
class UnitLine:
    """One unit as /donvi and `units list` show it."""

    code: str
    name: str
    kind: UnitKind
    adults: int | None
    contacts: int


async def unit_directory(session: AsyncSession) -> list[UnitLine]:
    """Return every active unit with its number of active contacts, by code."""
    contacts = (
        select(Contact.unit_id, func.count().label("n"))
        .where(Contact.status == ContactStatus.ACTIVE)
        .group_by(Contact.unit_id)
        .subquery()
    )
    rows = await session.execute(
        select(Unit, func.coalesce(contacts.c.n, 0))
        .outerjoin(contacts, contacts.c.unit_id == Unit.id)
        .where(Unit.active.is_(True))
        .order_by(Unit.code)
    )
    return [
        UnitLine(unit.code, unit.name, unit.kind, unit.adults, int(count)) for unit, count in rows
    ]


def by_group(lines: list[UnitLine]) -> list[UnitLine]:
    """Thôn, buôn and tổ dân phố first, then agencies; by code within each group."""
    return sorted(lines, key=lambda line: (not line.kind.is_residential, line.code))


async def list_directory(db: Database) -> list[UnitLine]:
    """/donvi and `units list`: the directory, read in one snapshot."""
    async with db.read() as session:
        return await unit_directory(session)
