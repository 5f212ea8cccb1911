"""Directives: create, queue one delivery per recipient, acknowledge, and summarise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.audience import Audience, recipients_query
from bot.services.audit import record_event
from bot.services.directive_render import DirectiveContent
from models import (
    Acknowledgement,
    Contact,
    Delivery,
    DeliveryStatus,
    Directive,
    MessageKind,
    Unit,
)


async def create_directive(
    session: AsyncSession,
    content: DirectiveContent,
    audience: Audience,
    *,
    actor_user_id: int | None,
    now: datetime,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> tuple[Directive, int]:
    """Store the directive and one pending delivery per recipient, in the caller's transaction.

    Nothing is sent here: the dispatcher drains the outbox, so a crash right after the commit
    loses nothing. Returns the directive and the number of deliveries queued.
    """
    directive = Directive(
        kind=MessageKind(content.kind),
        number=content.number,
        issued_on=content.issued_on,
        subject=content.subject,
        body=content.body,
        document_file_id=content.document_file_id,
        document_name=content.document_name,
        deadline=content.deadline,
        audience=str(audience),
        created_by=actor_user_id,
        created_at=now,
        progress_chat_id=progress_chat_id,
        progress_message_id=progress_message_id,
    )
    session.add(directive)
    await session.flush()
    recipients = recipients_query(audience).subquery()
    # One INSERT … SELECT: memory stays flat however many recipients there are.
    queued = await session.execute(
        insert(Delivery).from_select(
            [
                "directive_id",
                "contact_id",
                "chat_id",
                "status",
                "attempts",
                "parts_sent",
                "next_attempt_at",
            ],
            select(
                literal(directive.id),
                recipients.c.id,
                recipients.c.chat_id,
                literal(DeliveryStatus.PENDING.value),
                literal(0),
                literal(0),
                literal(now),
            ),
        )
    )
    count = int(getattr(queued, "rowcount", 0) or 0)
    record_event(
        session,
        actor_user_id,
        "directive.queued",
        directive_id=directive.id,
        audience=str(audience),
        deliveries=count,
    )
    return directive, count


@dataclass(frozen=True)
class AckResult:
    """Whether the press counted, and when the contact first acknowledged."""

    recorded: bool
    acknowledged_at: datetime | None


async def acknowledge(
    session: AsyncSession, directive_id: int, user_id: int, now: datetime
) -> AckResult:
    """Record "Đã nhận" once per contact and directive; only recipients may press it."""
    contact_id = await session.scalar(
        select(Delivery.contact_id)
        .join(Contact, Contact.id == Delivery.contact_id)
        .where(Delivery.directive_id == directive_id, Contact.telegram_user_id == user_id)
    )
    if contact_id is None:
        return AckResult(False, None)
    existing = await session.scalar(
        select(Acknowledgement).where(
            Acknowledgement.directive_id == directive_id, Acknowledgement.contact_id == contact_id
        )
    )
    if existing is not None:
        return AckResult(True, existing.acknowledged_at)
    session.add(
        Acknowledgement(directive_id=directive_id, contact_id=contact_id, acknowledged_at=now)
    )
    return AckResult(True, now)


async def delivery_counts(session: AsyncSession, directive_id: int) -> dict[DeliveryStatus, int]:
    """How many deliveries of a directive are in each state."""
    rows = await session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.directive_id == directive_id)
        .group_by(Delivery.status)
    )
    counts = {status: 0 for status in DeliveryStatus}
    counts.update({status: int(n) for status, n in rows})
    return counts


async def blocked_names(session: AsyncSession, directive_id: int) -> list[str]:
    """Who blocked the bot, as "Name (Unit)"."""
    rows = await session.execute(
        select(Contact.display_name, Unit.name)
        .join(Delivery, Delivery.contact_id == Contact.id)
        .outerjoin(Unit, Unit.id == Contact.unit_id)
        .where(Delivery.directive_id == directive_id, Delivery.status == DeliveryStatus.BLOCKED)
        .order_by(Unit.name)
    )
    return [f"{name or 'không tên'} ({unit or '—'})" for name, unit in rows]


async def unit_ack_status(session: AsyncSession, directive_id: int) -> tuple[list[str], list[str]]:
    """(acknowledged, not yet acknowledged) unit names among the units the directive reached."""
    reached = (
        select(Unit.id, Unit.name)
        .join(Contact, Contact.unit_id == Unit.id)
        .join(Delivery, Delivery.contact_id == Contact.id)
        .where(Delivery.directive_id == directive_id)
        .distinct()
    )
    acked_ids = set(
        await session.scalars(
            select(Contact.unit_id)
            .join(Acknowledgement, Acknowledgement.contact_id == Contact.id)
            .where(Acknowledgement.directive_id == directive_id)
        )
    )
    acked: list[str] = []
    waiting: list[str] = []
    for unit_id, name in (await session.execute(reached)).all():
        (acked if unit_id in acked_ids else waiting).append(name)
    return sorted(acked), sorted(waiting)


@dataclass(frozen=True)
class RecentDirective:
    """One line of the "Đã gửi gần đây" list."""

    directive: Directive
    sent: int
    total: int
    acked_units: int
    units: int


async def recent_directives(session: AsyncSession, limit: int = 5) -> list[RecentDirective]:
    """The newest directives with delivered and acknowledged counts."""
    directives = list(
        await session.scalars(select(Directive).order_by(Directive.id.desc()).limit(limit))
    )
    lines = []
    for directive in directives:
        counts = await delivery_counts(session, directive.id)
        acked, waiting = await unit_ack_status(session, directive.id)
        lines.append(
            RecentDirective(
                directive,
                counts[DeliveryStatus.SENT],
                sum(counts.values()),
                len(acked),
                len(acked) + len(waiting),
            )
        )
    return lines
