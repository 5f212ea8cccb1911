"""Directives: create, queue one delivery per recipient, acknowledge, and summarise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import Select, case, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.broadcasts.audience import (
    ALL,
    STAFF,
    Audience,
    AudienceError,
    recipients_query,
)
from bot.services.broadcasts.content import DirectiveContent
from bot.services.common.audit import record_event
from models import (
    COMPOSED_KINDS,
    Acknowledgement,
    Commune,
    Contact,
    Delivery,
    DeliveryStatus,
    Directive,
    LanguageChoice,
    MessageKind,
    Unit,
    scope,
    upsert,
)
from models.db import Database


class OutboxSignal(Protocol):
    """Whatever drains the outbox: told when new rows are waiting, so it need not poll."""

    def wake(self) -> None:
        """New rows were queued."""


async def create_directive(
    session: AsyncSession,
    content: DirectiveContent,
    audience: Audience,
    *,
    actor_user_id: int | None,
    now: datetime,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
    send_after: datetime | None = None,
) -> tuple[Directive, int]:
    """Store the directive and one pending delivery per recipient, in the caller's transaction.

    Nothing is sent here: the dispatcher drains the outbox, so a crash right after the commit
    loses nothing. Returns the directive and the number of deliveries queued. `send_after`
    holds the deliveries back a moment (an album's later photos join the message meanwhile).
    """
    directive = Directive(
        kind=MessageKind(content.kind),
        number=content.number,
        issued_on=content.issued_on,
        subject=content.subject,
        body=content.body,
        body_key=content.body_key,
        body_params=content.body_params or None,
        body_format=content.body_format,
        photo_file_ids=list(content.photo_file_ids) or None,
        buttons=[[list(button) for button in row] for row in content.buttons] or None,
        document_file_id=content.document_file_id,
        document_name=content.document_name,
        voice_file_id=content.voice_file_id,
        deadline=content.deadline,
        audience=str(audience),
        created_by=actor_user_id,
        created_at=now,
        progress_chat_id=progress_chat_id,
        progress_message_id=progress_message_id,
    )
    session.add(directive)
    await session.flush()
    count = await _queue(session, directive.id, recipients_query(audience), send_after or now)
    if not count and audience.kind == STAFF and scope.is_narrowed():
        # A commune with no officer yet: its heads still reach a person, the province's.
        with scope.narrowed(None):
            count = await _queue(
                session, directive.id, recipients_query(audience), send_after or now
            )
    record_event(
        session,
        actor_user_id,
        "directive.queued",
        directive_id=directive.id,
        audience=str(audience),
        deliveries=count,
    )
    return directive, count


async def _queue(
    session: AsyncSession,
    directive_id: int,
    recipients: Select[tuple[int, int]],
    send_at: datetime,
) -> int:
    """One pending delivery per recipient, in one INSERT … SELECT (memory stays flat).

    The recipients' query narrows itself to the sender's scope: loader criteria do not reach
    an INSERT's SELECT, and models/scope.py refuses one not marked as narrowed by hand.
    """
    rows = recipients.subquery()
    queued = await session.execute(
        insert(Delivery)
        .from_select(
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
                literal(directive_id),
                rows.c.id,
                rows.c.chat_id,
                literal(DeliveryStatus.PENDING.value),
                literal(0),
                literal(0),
                literal(send_at),
            ),
        )
        .execution_options(**{scope.NARROWED_BY_HAND: True})
    )
    return int(getattr(queued, "rowcount", 0) or 0)


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
    # Two taps at once may both get here: the unique key keeps one row, the first time wins.
    await session.execute(
        upsert.insert(session, Acknowledgement)
        .values(directive_id=directive_id, contact_id=contact_id, acknowledged_at=now)
        .on_conflict_do_nothing(index_elements=["directive_id", "contact_id"])
    )
    first = await session.scalar(
        select(Acknowledgement.acknowledged_at).where(
            Acknowledgement.directive_id == directive_id, Acknowledgement.contact_id == contact_id
        )
    )
    return AckResult(True, first)


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


async def blocked_names(session: AsyncSession, directive_id: int) -> list[tuple[str, str | None]]:
    """Who blocked the bot: (display name, unit name)."""
    rows = await session.execute(
        select(Contact.display_name, Unit.name)
        .join(Delivery, Delivery.contact_id == Contact.id)
        .outerjoin(Unit, Unit.id == Contact.unit_id)
        .where(Delivery.directive_id == directive_id, Delivery.status == DeliveryStatus.BLOCKED)
        .order_by(Unit.name)
    )
    return [(name or "", unit) for name, unit in rows]


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
    """One line of the "Đã gửi gần đây" list and of the export's "Thông báo" sheet."""

    directive_id: int
    kind: MessageKind
    created_at: datetime
    number: str | None
    issued_on: date | None
    subject: str
    sent: int
    total: int
    acked_units: int
    units: int


async def recent_directives(
    session: AsyncSession, limit: int = 5, kinds: tuple[MessageKind, ...] = tuple(MessageKind)
) -> list[RecentDirective]:
    """The newest messages of these kinds with delivered and acknowledged counts."""
    directives = list(
        await session.scalars(
            select(Directive)
            .where(Directive.kind.in_(kinds))
            .order_by(Directive.id.desc())
            .limit(limit)
        )
    )
    lines = []
    for directive in directives:
        counts = await delivery_counts(session, directive.id)
        acked, waiting = await unit_ack_status(session, directive.id)
        lines.append(
            RecentDirective(
                directive.id,
                directive.kind,
                directive.created_at,
                directive.number,
                directive.issued_on,
                directive.subject,
                counts[DeliveryStatus.SENT],
                sum(counts.values()),
                len(acked),
                len(acked) + len(waiting),
            )
        )
    return lines


@dataclass(frozen=True)
class Queued:
    """A message written to the outbox: its id and how many recipients it will reach."""

    directive_id: int
    recipients: int


async def queue_directive(
    db: Database,
    outbox: OutboxSignal,
    content: DirectiveContent,
    audience: Audience,
    *,
    actor_user_id: int | None,
    now: datetime,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> Queued:
    """Write the message and its deliveries in one transaction, then wake the sender.

    A control message sends once: a second "📤 Gửi" under it (a press whose answer failed, an
    update replayed after a crash) gets back what the first one queued.
    """
    async with db.write() as session:
        if progress_chat_id is not None and progress_message_id is not None:
            already = await _queued_from(session, progress_chat_id, progress_message_id)
            if already is not None:
                return already
        directive, count = await create_directive(
            session,
            content,
            audience,
            actor_user_id=actor_user_id,
            now=now,
            progress_chat_id=progress_chat_id,
            progress_message_id=progress_message_id,
        )
    if count:
        outbox.wake()
    return Queued(directive.id, count)


async def _queued_from(session: AsyncSession, chat_id: int, message_id: int) -> Queued | None:
    """What a control message already queued, if it did."""
    directive_id = await session.scalar(
        select(Directive.id).where(
            Directive.progress_chat_id == chat_id, Directive.progress_message_id == message_id
        )
    )
    if directive_id is None:
        return None
    count = await session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.directive_id == directive_id)
    )
    return Queued(directive_id, int(count or 0))


async def acknowledge_directive(
    db: Database, directive_id: int, user_id: int, now: datetime
) -> AckResult:
    """Record "✅ Đã nhận" once, in its own transaction."""
    async with db.write() as session:
        return await acknowledge(session, directive_id, user_id, now)


@dataclass(frozen=True)
class AckStatus:
    """Which of the units a directive reached have acknowledged it."""

    subject: str
    kind: MessageKind
    acknowledged: list[str]
    waiting: list[str]


async def ack_status(db: Database, directive_id: int) -> AckStatus | None:
    """The "Chưa xác nhận" view of one directive; None if it does not exist."""
    async with db.read() as session:
        directive = await session.get(Directive, directive_id)
        if directive is None:
            return None
        acked, waiting = await unit_ack_status(session, directive_id)
        return AckStatus(directive.subject, directive.kind, acked, waiting)


async def recent(db: Database, limit: int = 5) -> list[RecentDirective]:
    """The "🕘 Đã gửi gần đây" list: officers' directives only, not the bot's own nudges."""
    async with db.read() as session:
        return await recent_directives(session, limit, COMPOSED_KINDS)


@dataclass(frozen=True)
class Resend:
    """A sent directive's content and audience, to compose it again."""

    content: DirectiveContent
    audience: Audience


async def directive_to_resend(db: Database, directive_id: int, today: date) -> Resend | None:
    """Handle "🔁 Gửi lại": the directive as it was sent; None when it is gone or not one.

    A deadline that has passed is dropped: the officer sets a new one in the preview.
    """
    async with db.read() as session:
        directive = await session.get(Directive, directive_id)
    if directive is None or not directive.kind.composed:
        return None
    deadline = directive.deadline if directive.deadline and directive.deadline >= today else None
    content = DirectiveContent(
        subject=directive.subject,
        body=directive.body,
        kind=directive.kind.value,
        number=directive.number,
        issued_on=directive.issued_on,
        deadline=deadline,
        document_file_id=directive.document_file_id,
        document_name=directive.document_name,
        body_format=directive.body_format,
    )
    try:
        audience = Audience.parse(directive.audience)
    except AudienceError:
        audience = Audience(ALL)
    return Resend(content, audience)


@dataclass(frozen=True)
class BroadcastView:
    """Where a broadcast's progress message is, and how far it got."""

    directive_id: int
    kind: MessageKind
    subject: str
    chat_id: int
    message_id: int
    language: str | None
    counts: dict[DeliveryStatus, int]

    @property
    def total(self) -> int:
        """Every delivery of the broadcast."""
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        """Deliveries that reached an end state."""
        return (
            self.total - self.counts[DeliveryStatus.PENDING] - self.counts[DeliveryStatus.SENDING]
        )


@dataclass(frozen=True)
class BroadcastSummary:
    """The end of a broadcast: counts, who blocked the bot, and acknowledgements."""

    view: BroadcastView
    blocked: list[tuple[str, str | None]]
    acknowledged_units: int
    units: int
    # Units of the audience where nobody has registered: nothing reached them.
    unreached_units: int = 0
    # A directive reaching several communes: (commune, units acknowledged, units reached) each,
    # the least acknowledged first ("Xã Ea Knốp 40/45 đã nhận").
    by_commune: tuple[tuple[str, int, int], ...] = ()


async def _view(session: AsyncSession, directive_id: int) -> BroadcastView | None:
    """The progress view of a broadcast that has a progress message."""
    directive = await session.get(Directive, directive_id)
    if (
        directive is None
        or directive.progress_chat_id is None
        or directive.progress_message_id is None
    ):
        return None
    language = (
        await session.scalar(
            select(LanguageChoice.language).where(
                LanguageChoice.telegram_user_id == directive.created_by
            )
        )
        if directive.created_by is not None
        else None
    )
    return BroadcastView(
        directive.id,
        directive.kind,
        directive.subject,
        directive.progress_chat_id,
        directive.progress_message_id,
        language,
        await delivery_counts(session, directive_id),
    )


async def broadcast_view(db: Database, directive_id: int) -> BroadcastView | None:
    """How far a broadcast got, for its progress message."""
    async with db.read() as session:
        return await _view(session, directive_id)


@dataclass(frozen=True)
class Undelivered:
    """An officer's answer that reached nobody in the unit: whom to tell, and about what."""

    chat_id: int
    language: str | None
    unit_name: str


async def finish_broadcast(
    db: Database, directive_id: int, now: datetime
) -> BroadcastSummary | Undelivered | None:
    """Mark a broadcast finished once; only that first caller gets the summary to show.

    A message with no progress message has no summary, except an answer that reached nobody
    (the unit's people blocked the bot): its author must not believe it arrived.
    """
    async with db.write() as session:
        if not await mark_finished(session, directive_id, now):
            return None
        view = await _view(session, directive_id)
        if view is None:
            return await _undelivered_answer(session, directive_id)
        return await _summary(session, directive_id, view)


async def _summary(
    session: AsyncSession, directive_id: int, view: BroadcastView
) -> BroadcastSummary:
    """Counts, blocked people, acknowledgements now, and the units nothing could reach."""
    acked, waiting = await unit_ack_status(session, directive_id)
    return BroadcastSummary(
        view,
        await blocked_names(session, directive_id),
        len(acked),
        len(acked) + len(waiting),
        await _unreached_units(session, directive_id),
        await _acks_by_commune(session, directive_id),
    )


async def _acks_by_commune(
    session: AsyncSession, directive_id: int
) -> tuple[tuple[str, int, int], ...]:
    """Per commune reached: units acknowledged and reached (one commune: its total says it)."""
    reached = (
        select(Unit.id.label("unit_id"), Unit.commune_id.label("commune_id"))
        .join(Contact, Contact.unit_id == Unit.id)
        .join(Delivery, Delivery.contact_id == Contact.id)
        .where(Delivery.directive_id == directive_id, Unit.commune_id.is_not(None))
        .distinct()
        .subquery()
    )
    acked = (
        select(Contact.unit_id)
        .join(Acknowledgement, Acknowledgement.contact_id == Contact.id)
        .where(Acknowledgement.directive_id == directive_id)
    )
    rows = (
        await session.execute(
            select(
                Commune.name,
                func.count(case((reached.c.unit_id.in_(acked), 1))),
                func.count(),
            )
            .select_from(reached)
            .join(Commune, Commune.id == reached.c.commune_id)
            .group_by(Commune.id, Commune.name)
        )
    ).all()
    if len(rows) < 2:
        return ()
    lines = [(str(name), int(done), int(total)) for name, done, total in rows]
    return tuple(sorted(lines, key=lambda line: (line[1] / line[2], line[0])))


async def _unreached_units(session: AsyncSession, directive_id: int) -> int:
    """Units of the audience without anyone registered (no copy was queued for them)."""
    directive = await session.get(Directive, directive_id)
    if directive is None or directive.audience == STAFF:
        return 0
    reached = (
        select(Contact.unit_id)
        .join(Delivery, Delivery.contact_id == Contact.id)
        .where(Delivery.directive_id == directive_id, Contact.unit_id.is_not(None))
    )
    count = await session.scalar(
        select(func.count())
        .select_from(Unit)
        .where(Audience.parse(directive.audience).unit_filter(), Unit.id.not_in(reached))
    )
    return int(count or 0)


async def broadcast_summary(db: Database, directive_id: int) -> BroadcastSummary | None:
    """A finished broadcast's summary as it stands now (acknowledgements keep coming)."""
    async with db.read() as session:
        directive = await session.get(Directive, directive_id)
        if directive is None or directive.finished_at is None:
            return None
        view = await _view(session, directive_id)
        return None if view is None else await _summary(session, directive_id, view)


async def _undelivered_answer(session: AsyncSession, directive_id: int) -> Undelivered | None:
    """The answer's author and unit when none of its copies was sent."""
    directive = await session.get(Directive, directive_id)
    if directive is None or directive.kind != MessageKind.ANSWER or not directive.created_by:
        return None
    if (await delivery_counts(session, directive_id))[DeliveryStatus.SENT]:
        return None
    language = await session.scalar(
        select(LanguageChoice.language).where(
            LanguageChoice.telegram_user_id == directive.created_by
        )
    )
    return Undelivered(directive.created_by, language, directive.subject)


async def mark_finished(session: AsyncSession, directive_id: int, now: datetime) -> bool:
    """Set finished_at once; True only for the caller that set it (so one summary is sent)."""
    result = await session.execute(
        update(Directive)
        .where(Directive.id == directive_id, Directive.finished_at.is_(None))
        .values(finished_at=now)
    )
    return bool(getattr(result, "rowcount", 0))
