"""Audiences of a broadcast: everyone, thôn/buôn only, agencies only, or chosen units."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Commune, Contact, ContactStatus, Role, Unit, UnitKind, scope
from models.db import Database

RESIDENTIAL = (UnitKind.THON, UnitKind.BUON, UnitKind.TO_DAN_PHO)
ALL, THON, CO_QUAN, STAFF, UNITS_PREFIX = "all", "thon", "co_quan", "staff", "units:"
# A province's audiences: every unit of chosen communes, or only the communes' officers.
OFFICERS, COMMUNES, COMMUNES_PREFIX = "officers", "communes", "communes:"


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
        if value in (ALL, THON, CO_QUAN, STAFF, OFFICERS):
            return cls(value)
        if value.startswith(COMMUNES_PREFIX):
            listed = value[len(COMMUNES_PREFIX) :].split(",")
            communes = tuple(code.strip() for code in listed if code.strip())
            if not communes:
                raise AudienceError(text)
            return cls(COMMUNES, communes)
        codes = value.removeprefix(UNITS_PREFIX)
        parts = tuple(code.strip() for code in codes.split(",") if code.strip())
        if not parts:
            raise AudienceError(text)
        return cls("units", parts)

    def __str__(self) -> str:
        """The stored form."""
        if self.kind == COMMUNES:
            return COMMUNES_PREFIX + ",".join(self.codes)
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
        if self.kind == COMMUNES:
            chosen = select(Commune.id).where(Commune.code.in_(self.codes))
            return condition & Unit.commune_id.in_(chosen.scalar_subquery())
        if self.kind == OFFICERS:
            return false()  # people, not units
        return condition


def recipients_query(audience: Audience) -> Select[tuple[int, int]]:
    """(contact id, chat id) of every active contact bound to a unit of the audience.

    The "staff" audience is the officers and admins of the sender's scope: a commune's own
    officers, or, over the whole deployment, those without a commune (every officer of a
    one-commune deployment; a province's officers and admins, not each commune's).
    """
    if audience.kind == OFFICERS:
        # The communes' own officers (a province's directive to them only).
        return (
            select(Contact.id, Contact.chat_id)
            .where(
                Contact.role == Role.OFFICER,
                Contact.commune_id.is_not(None),
                Contact.status == ContactStatus.ACTIVE,
                scope.contacts_in_scope(),
            )
            .order_by(Contact.id)
        )
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
    if audience.kind in (STAFF, OFFICERS):
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
    """Codes of a "units:" audience that match no active unit (or no commune)."""
    if audience.kind == COMMUNES:
        known = set(
            await session.scalars(select(Commune.code).where(Commune.code.in_(audience.codes)))
        )
        return [code for code in audience.codes if code not in known]
    if audience.kind != "units":
        return []
    found = {
        code.lower()
        for code in await session.scalars(select(Unit.code).where(audience.unit_filter()))
    }
    return [code for code in audience.codes if code.lower() not in found]


async def missing_codes(db: Database, audience: Audience) -> list[str]:
    """`unknown_codes` in its own snapshot (what a typed audience names that does not exist)."""
    async with db.read() as session:
        return await unknown_codes(session, audience)


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
