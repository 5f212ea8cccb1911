"""Audiences of a broadcast: everyone, thôn/buôn only, agencies only, or chosen units."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Contact, ContactStatus, Role, Unit, UnitKind, scope
from models.db import Database

RESIDENTIAL = (UnitKind.THON, UnitKind.BUON, UnitKind.TO_DAN_PHO)
ALL, THON, CO_QUAN, STAFF, UNITS_PREFIX = "all", "thon", "co_quan", "staff", "units:"


class AudienceError(ValueError):
    """An audience string that names no known group or unit."""


@dataclass(frozen=True)
class Audience:
    """Stored as "all", "thon", "co_quan" or "units:T01,T02"."""

    kind: str
    codes: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Audience:
        """Read the stored or typed form; `T01,T02` alone means those units."""
        value = text.strip()
        if value in (ALL, THON, CO_QUAN, STAFF):
            return cls(value)
        codes = value.removeprefix(UNITS_PREFIX)
        parts = tuple(code.strip() for code in codes.split(",") if code.strip())
        if not parts:
            raise AudienceError(text)
        return cls("units", parts)

    def __str__(self) -> str:
        """The stored form."""
        return UNITS_PREFIX + ",".join(self.codes) if self.kind == "units" else self.kind

    def unit_filter(self) -> ColumnElement[bool]:
        """Which active units belong to the audience."""
        condition = Unit.active.is_(True)
        if self.kind == THON:
            return condition & Unit.kind.in_(RESIDENTIAL)
        if self.kind == CO_QUAN:
            return condition & Unit.kind.not_in(RESIDENTIAL)
        if self.kind == "units":
            return condition & func.lower(Unit.code).in_([c.lower() for c in self.codes])
        return condition


def recipients_query(audience: Audience) -> Select[tuple[int, int]]:
    """(contact id, chat id) of every active contact bound to a unit of the audience.

    The "staff" audience is the officers and admins of the sender's scope: a commune's own
    officers, or, over the whole deployment, those without a commune (every officer of a
    one-commune deployment; a province's officers and admins, not each commune's).
    """
    if audience.kind == STAFF:
        return (
            select(Contact.id, Contact.chat_id)
            .where(
                Contact.role.in_([Role.OFFICER, Role.ADMIN]),
                Contact.status == ContactStatus.ACTIVE,
                # Read once more by hand: the outbox copies these rows with an INSERT … SELECT.
                scope.staff_in_scope(),
            )
            .order_by(Contact.id)
        )
    return (
        select(Contact.id, Contact.chat_id)
        .join(Unit, Contact.unit_id == Unit.id)
        .where(
            audience.unit_filter(),
            Contact.status == ContactStatus.ACTIVE,
            scope.contacts_in_scope(),
        )
        .order_by(Contact.id)
    )


async def audience_size(session: AsyncSession, audience: Audience) -> tuple[int, int]:
    """(units in the audience, contacts who will receive)."""
    if audience.kind == STAFF:
        staff = await session.scalar(
            select(func.count()).select_from(recipients_query(audience).subquery())
        )
        return 0, int(staff or 0)
    units = await session.scalar(
        select(func.count()).select_from(Unit).where(audience.unit_filter())
    )
    contacts = await session.scalar(
        select(func.count()).select_from(recipients_query(audience).subquery())
    )
    return int(units or 0), int(contacts or 0)


async def unknown_codes(session: AsyncSession, audience: Audience) -> list[str]:
    """Codes of a "units:" audience that match no active unit."""
    if audience.kind != "units":
        return []
    found = {
        code.lower()
        for code in await session.scalars(select(Unit.code).where(audience.unit_filter()))
    }
    return [code for code in audience.codes if code.lower() not in found]


@dataclass(frozen=True)
class AudienceSize:
    """How many units an audience covers, how many people will receive, and the units' names.

    Names are given for chosen units only (groups read by their own label).
    """

    units: int
    people: int
    names: tuple[str, ...] = ()


async def count_audience(db: Database, audience: Audience) -> AudienceSize:
    """The size of an audience and its units' names, read in one snapshot."""
    async with db.read() as session:
        units, people = await audience_size(session, audience)
        names: tuple[str, ...] = ()
        if audience.kind == "units":
            names = tuple(
                await session.scalars(
                    select(Unit.name).where(audience.unit_filter()).order_by(Unit.code)
                )
            )
    return AudienceSize(units, people, names)
