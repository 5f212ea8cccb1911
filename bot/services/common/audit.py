"""Audit trail: every state change is written in the same transaction as the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEvent
from models.db import Database


def record_event(
    session: AsyncSession, actor_user_id: int | None, action: str, **details: Any
) -> None:
    """Add an audit event to the session's open transaction."""
    session.add(AuditEvent(actor_user_id=actor_user_id, action=action, details=details))


@dataclass(frozen=True)
class AuditLine:
    """One recorded change, as `binhdan audit` prints it."""

    at: datetime
    actor_user_id: int | None
    action: str
    details: dict[str, Any]


async def audit_since(db: Database, since: datetime | None) -> list[AuditLine]:
    """Every recorded change since `since` (all of them without it), oldest first."""
    query = select(AuditEvent).order_by(AuditEvent.created_at, AuditEvent.id)
    if since is not None:
        query = query.where(AuditEvent.created_at >= since)
    async with db.read() as session:
        events = await session.scalars(query)
        return [AuditLine(e.created_at, e.actor_user_id, e.action, e.details) for e in events]
