"""Audit trail: every state change is written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEvent


def record_event(
    session: AsyncSession, actor_user_id: int | None, action: str, **details: Any
) -> None:
    """Add an audit event to the session's open transaction."""
    session.add(AuditEvent(actor_user_id=actor_user_id, action=action, details=details))
