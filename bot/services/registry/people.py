"""Everyone with a role, for `/nguoidung` and `binhdan users list` (issue 23)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from models import Contact, ContactStatus, ReceivedUpdate, Report, Role, Unit
from models.db import Database

# Admins first, then officers, then the units' people by unit code.
ROLE_ORDER = {Role.ADMIN: 0, Role.OFFICER: 1, Role.HEAD: 2}


@dataclass(frozen=True)
class Person:
    """One person with a role: who, where, and when they last wrote to the bot."""

    user_id: int
    name: str
    role: Role
    unit_code: str | None
    unit_name: str | None
    blocked: bool
    last_wrote: datetime | None


async def people_with_roles(db: Database) -> list[Person]:
    """Everyone with a role (not those who left), admins, officers, then by unit."""
    # Their last message the inbox still holds, or failing that their last report.
    last_update = (
        select(func.max(ReceivedUpdate.received_at))
        .where(ReceivedUpdate.chat_key == Contact.chat_id)
        .scalar_subquery()
    )
    last_report = (
        select(func.max(Report.reported_at))
        .where(Report.reporter_user_id == Contact.telegram_user_id)
        .scalar_subquery()
    )
    async with db.read() as session:
        rows = await session.execute(
            select(Contact, Unit.code, Unit.name, last_update, last_report)
            .outerjoin(Unit, Contact.unit_id == Unit.id)
            .where(Contact.status != ContactStatus.LEFT)
        )
        people = [
            Person(
                contact.telegram_user_id,
                contact.display_name,
                contact.role,
                code,
                name,
                contact.status == ContactStatus.BLOCKED,
                max((m for m in (update_at, report_at) if m is not None), default=None),
            )
            for contact, code, name, update_at, report_at in rows
        ]
    return sorted(people, key=lambda p: (ROLE_ORDER[p.role], p.unit_code or "", p.name))
