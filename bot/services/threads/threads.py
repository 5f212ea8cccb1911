"""Threads: a unit's notes, photos and answers reach the officers, and officers answer back.

Who reads what:
- what a unit sends (a report's note, evidence, an answer under "↩️ Trả lời") goes to every
  active officer and admin (the "staff" audience): a commune has a handful of them, any of
  them may answer, and /phanhoi shows who did;
- an officer's answer goes to every active contact of the unit (the trưởng thôn and the Tổ
  công nghệ số registered with it): the thread belongs to the unit, not to one person.

Each message is stored, and its outbox message queued, in ONE transaction: a crash loses
neither, and the rate-limited dispatcher delivers it. Button rows come from the caller
(`ButtonsFor`: thread id → rows), since callback data is the Telegram layer's business.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.broadcasts.audience import STAFF, Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import OutboxSignal, create_directive
from bot.services.common.audit import record_event
from bot.services.common.keys import N_
from bot.services.reports.evidence import IncomingFile, StoredEvidence, add_evidence
from bot.services.reports.periods import Period, period_at
from bot.services.reports.reports import MAX_NOTE, Reporter, Target, attach_note
from models import (
    Delivery,
    DeliveryStatus,
    Directive,
    EvidenceKind,
    MessageKind,
    Report,
    Thread,
    ThreadMessage,
    ThreadMessageKind,
    ThreadSide,
    ThreadStatus,
    Unit,
    upsert,
)
from models.db import Database
from models.threads import OPEN_PREDICATE

# Button rows under a message: (catalog key of the label, callback data) each.
Buttons = tuple[tuple[tuple[str, str], ...], ...]
ButtonsFor = Callable[[int], Buttons]

# The photos of an album arrive as separate messages within a second or two: the first one's
# forward waits this long, and the next ones join it (one album, one "↩️ Trả lời").
ALBUM_WAIT = timedelta(seconds=3)
MAX_ALBUM = 10
MAX_TEXT = 4000
MAX_NAME = 200
# What an answer quotes of the unit's last message (the renderer shortens it further).
MAX_QUOTE = 300

# How the officers' copy begins, by what the unit sent (rendered in each officer's language).
STAFF_KEYS = {
    ThreadMessageKind.NOTE: N_("thread.staff.note"),
    ThreadMessageKind.PHOTO: N_("thread.staff.photo"),
    ThreadMessageKind.DOCUMENT: N_("thread.staff.document"),
}
STAFF_REPLY_KEY = N_("thread.staff.reply")
# A head's own message (a question, a voice note) sent with "📨 Gửi cho cán bộ xã".
STAFF_QUESTION_KEY = N_("thread.staff.question")
# A post a head reports as bad information ("🚩 Báo tin xấu, độc").
STAFF_FLAG_KEY = N_("thread.staff.flag")
UNIT_ANSWER_KEY = N_("thread.unit.answer")


@dataclass(frozen=True)
class Written:
    """What someone typed or sent under "↩️ Trả lời": text, or a photo/document and caption."""

    text: str
    file: IncomingFile | None = None
    media_group_id: str | None = None
    # A head's voice note ("📨" needs no button for it: it is meant for a person).
    voice_file_id: str | None = None
    # A post reported with "🚩 Báo tin xấu, độc".
    flagged: bool = False

    @property
    def kind(self) -> ThreadMessageKind:
        """A flagged post, a typed text, a voice note, a photo or a document."""
        if self.flagged:
            return ThreadMessageKind.FLAG
        if self.voice_file_id is not None:
            return ThreadMessageKind.VOICE
        if self.file is None:
            return ThreadMessageKind.TEXT
        if self.file.kind == EvidenceKind.PHOTO:
            return ThreadMessageKind.PHOTO
        return ThreadMessageKind.DOCUMENT


@dataclass(frozen=True)
class Posted:
    """A message added to a thread: where, for which unit, and how many people it reaches.

    `recipients` is 0 when no one can be reached, and when the message joined a forward
    already queued (an album's later photo) or was already stored (a redelivered update).
    """

    thread_id: int
    unit_name: str
    recipients: int
    status: ThreadStatus = ThreadStatus.OPEN
    # An album's later photo, added to the forward of its first one (no answer needed).
    joined: bool = False
    # A photo or document the unit sent in an answer, kept as evidence (to download).
    evidence: StoredEvidence | None = None


def _wake(outbox: OutboxSignal, posted: Posted | None) -> None:
    """Tell the dispatcher about new outbox rows (after the commit)."""
    if posted is not None and posted.recipients:
        outbox.wake()


def _clip(value: str | None, limit: int) -> str | None:
    """Text as stored: None when empty, cut at `limit` characters."""
    value = (value or "").strip()
    return value[:limit] or None


async def _repeated(session: AsyncSession, update_id: int | None) -> ThreadMessage | None:
    """The message already stored for a redelivered Telegram update."""
    if update_id is None:
        return None
    found: ThreadMessage | None = await session.scalar(
        select(ThreadMessage).where(ThreadMessage.source_update_id == update_id)
    )
    return found


async def _open_thread(session: AsyncSession, unit_id: int) -> Thread | None:
    """The unit's open thread, if it has one."""
    found: Thread | None = await session.scalar(
        select(Thread).where(Thread.unit_id == unit_id, Thread.status == ThreadStatus.OPEN)
    )
    return found


async def _thread_for_unit(
    session: AsyncSession, unit_id: int, actor: int | None, now: datetime, preferred: int | None
) -> Thread:
    """The thread a unit's new message joins: its open one, `preferred` reopened, or a new one.

    The partial unique index keeps one open thread per unit even when two messages of the
    unit arrive at once: the loser of the race joins the winner's thread.
    """
    current = await _open_thread(session, unit_id)
    if current is not None:
        return current
    if preferred is not None:
        try:
            async with session.begin_nested():
                reopened = await session.execute(
                    update(Thread)
                    .where(
                        Thread.id == preferred,
                        Thread.unit_id == unit_id,
                        Thread.status == ThreadStatus.RESOLVED,
                    )
                    .values(status=ThreadStatus.OPEN, resolved_at=None, resolved_by=None)
                )
            if getattr(reopened, "rowcount", 0):
                record_event(session, actor, "thread.reopened", thread_id=preferred)
        except IntegrityError:
            pass  # another message of the unit opened a thread meanwhile: join that one
    if await _open_thread(session, unit_id) is None:
        await session.execute(
            upsert.insert(session, Thread)
            .values(unit_id=unit_id, status=ThreadStatus.OPEN, opened_at=now, last_message_at=now)
            .on_conflict_do_nothing(index_elements=["unit_id"], index_where=text(OPEN_PREDICATE))
        )
    thread = await _open_thread(session, unit_id)
    assert thread is not None
    return thread


async def _join_album(
    session: AsyncSession, author_user_id: int, media_group_id: str, file_id: str, caption: str
) -> int | None:
    """Add an album's later photo to the forward its first photo queued, if not sent yet.

    Returns the forward's id, or None when there is none to join (it already went out, or it
    is full): the photo then gets a forward of its own.
    """
    directive_id = await session.scalar(
        select(ThreadMessage.directive_id)
        .where(
            ThreadMessage.author_user_id == author_user_id,
            ThreadMessage.media_group_id == media_group_id,
            ThreadMessage.directive_id.is_not(None),
        )
        .order_by(ThreadMessage.id.desc())
        .limit(1)
    )
    if directive_id is None:
        return None
    # Locked (on PostgreSQL), so the dispatcher cannot claim a row while the photo is added.
    deliveries = (
        await session.execute(
            select(Delivery.status, Delivery.attempts)
            .where(Delivery.directive_id == directive_id)
            .with_for_update()
        )
    ).all()
    if any(status != DeliveryStatus.PENDING or attempts for status, attempts in deliveries):
        return None
    directive = await session.get(Directive, directive_id)
    assert directive is not None
    photos = list(directive.photo_file_ids or [])
    if len(photos) >= MAX_ALBUM:
        return None
    directive.photo_file_ids = [*photos, file_id]
    if caption:
        directive.body = "\n".join(part for part in (directive.body, caption) if part)
    return int(directive_id)


@dataclass(frozen=True)
class _FromUnit:
    """A unit's message, as `_post_from_unit` stores and forwards it."""

    unit: Unit
    author: Reporter
    kind: ThreadMessageKind
    text: str | None
    period: Period
    key: str
    file: IncomingFile | None = None
    voice_file_id: str | None = None
    media_group_id: str | None = None
    report_id: int | None = None
    evidence_id: int | None = None
    preferred_thread: int | None = None
    update_id: int | None = None


def _is(file: IncomingFile | None, kind: EvidenceKind) -> bool:
    """Whether a message carries a file of this kind."""
    return file is not None and file.kind == kind


async def _post_from_unit(
    session: AsyncSession, message: _FromUnit, now: datetime, buttons_for: ButtonsFor
) -> Posted:
    """Store a unit's message in its thread and queue it to every officer and admin."""
    author_id = message.author.user_id or 0
    thread = await _thread_for_unit(
        session, message.unit.id, author_id, now, message.preferred_thread
    )
    file_id = message.file.file_id if message.file else message.voice_file_id
    stored = ThreadMessage(
        thread_id=thread.id,
        side=ThreadSide.UNIT,
        kind=message.kind,
        author_user_id=author_id,
        author_name=message.author.name[:MAX_NAME],
        text=message.text,
        file_id=file_id,
        media_group_id=message.media_group_id,
        report_id=message.report_id,
        evidence_id=message.evidence_id,
        source_update_id=message.update_id,
        created_at=now,
    )
    session.add(stored)
    thread.last_message_at = now
    record_event(
        session,
        author_id,
        "thread.message",
        thread_id=thread.id,
        side=ThreadSide.UNIT.value,
        kind=message.kind.value,
    )
    if message.media_group_id and message.kind == ThreadMessageKind.PHOTO and file_id:
        joined = await _join_album(
            session, author_id, message.media_group_id, file_id, message.text or ""
        )
        if joined is not None:
            stored.directive_id = joined
            await session.flush()
            return Posted(thread.id, message.unit.name, 0, joined=True)
    content = DirectiveContent(
        kind=MessageKind.FEEDBACK.value,
        subject=message.unit.name,
        body=message.text or "",
        body_key=message.key,
        body_params={
            "unit": message.unit.name,
            "period": message.period.label,
            "author": message.author.name,
        },
        photo_file_ids=(file_id,) if _is(message.file, EvidenceKind.PHOTO) and file_id else (),
        document_file_id=file_id if _is(message.file, EvidenceKind.DOCUMENT) else None,
        document_name=message.file.file_name if message.file else None,
        voice_file_id=message.voice_file_id,
        buttons=buttons_for(thread.id),
    )
    directive, count = await create_directive(
        session,
        content,
        Audience(STAFF),
        actor_user_id=author_id,
        now=now,
        send_after=now + ALBUM_WAIT if message.media_group_id else None,
    )
    stored.directive_id = directive.id
    await session.flush()
    return Posted(thread.id, message.unit.name, count)


async def send_note(
    db: Database,
    outbox: OutboxSignal,
    report_id: int,
    note: str,
    author: Reporter,
    *,
    update_id: int | None,
    now: datetime,
    tz: ZoneInfo,
    period_kind: str,
    buttons_for: ButtonsFor,
) -> Posted | None:
    """Attach "✍️ Khó khăn, đề xuất" to the sender's report and send it to the officers.

    None when the report is not the sender's own (nothing is stored).
    """
    async with db.write() as session:
        repeated = await _repeated(session, update_id)
        if repeated is not None:
            return await _posted(session, repeated.thread_id)
        report = await session.get(Report, report_id)
        if report is None or author.user_id is None:
            return None
        if not await attach_note(session, report_id, note, author.user_id):
            return None
        unit = await session.get(Unit, report.unit_id)
        assert unit is not None
        posted = await _post_from_unit(
            session,
            _FromUnit(
                unit=unit,
                author=author,
                kind=ThreadMessageKind.NOTE,
                text=_clip(note, MAX_NOTE),
                period=period_at(report.reported_at, period_kind, tz),
                key=STAFF_KEYS[ThreadMessageKind.NOTE],
                report_id=report_id,
                update_id=update_id,
            ),
            now,
            buttons_for,
        )
    _wake(outbox, posted)
    return posted


async def ask_commune(
    db: Database,
    outbox: OutboxSignal,
    target: Target,
    author: Reporter,
    written: Written,
    *,
    update_id: int | None,
    now: datetime,
    period_kind: str,
    tz: ZoneInfo,
    buttons_for: ButtonsFor,
) -> Posted:
    """A head's message to the officers ("📨 Gửi cho cán bộ xã"): into the unit's thread.

    `update_id` is the head's message: sending it twice stores and sends it once.
    """
    async with db.write() as session:
        repeated = await _repeated(session, update_id)
        if repeated is not None:
            return await _posted(session, repeated.thread_id)
        unit = await session.get(Unit, target.unit_id)
        assert unit is not None
        posted = await _post_from_unit(
            session,
            _FromUnit(
                unit=unit,
                author=author,
                kind=written.kind,
                text=_clip(written.text, MAX_TEXT),
                period=period_at(now, period_kind, tz),
                key=STAFF_FLAG_KEY if written.flagged else STAFF_QUESTION_KEY,
                file=written.file,
                voice_file_id=written.voice_file_id,
                update_id=update_id,
            ),
            now,
            buttons_for,
        )
    _wake(outbox, posted)
    return posted


async def receive_evidence(
    db: Database,
    outbox: OutboxSignal,
    target: Target,
    sender: Reporter,
    incoming: IncomingFile,
    *,
    update_id: int | None,
    media_group_id: str | None,
    now: datetime,
    period_kind: str,
    tz: ZoneInfo,
    buttons_for: ButtonsFor,
) -> StoredEvidence:
    """Keep a photo or document as evidence and send it to the officers, in one transaction.

    A redelivered update stores and sends nothing again (`StoredEvidence.new` is False).
    """
    period = period_at(now, period_kind, tz)
    posted = None
    async with db.write() as session:
        stored = await add_evidence(
            session, target, sender, incoming, update_id=update_id, now=now, period=period
        )
        if stored.new:
            unit = await session.get(Unit, target.unit_id)
            assert unit is not None
            kind = Written("", incoming).kind
            posted = await _post_from_unit(
                session,
                _FromUnit(
                    unit=unit,
                    author=sender,
                    kind=kind,
                    text=_clip(incoming.caption, MAX_TEXT),
                    period=period,
                    key=STAFF_KEYS[kind],
                    file=incoming,
                    media_group_id=media_group_id,
                    evidence_id=stored.evidence_id,
                    update_id=update_id,
                ),
                now,
                buttons_for,
            )
    _wake(outbox, posted)
    return stored


async def write_to_commune(
    db: Database,
    outbox: OutboxSignal,
    thread_id: int,
    target: Target,
    author: Reporter,
    written: Written,
    *,
    update_id: int | None,
    now: datetime,
    period_kind: str,
    tz: ZoneInfo,
    buttons_for: ButtonsFor,
) -> Posted | None:
    """A unit answers an officer under "↩️ Trả lời": to every officer and admin.

    A photo or document is kept as the unit's evidence too. None when the thread is not the
    unit's (the sender moved to another unit since).
    """
    period = period_at(now, period_kind, tz)
    async with db.write() as session:
        repeated = await _repeated(session, update_id)
        if repeated is not None:
            return await _posted(session, repeated.thread_id)
        thread = await session.get(Thread, thread_id)
        if thread is None or thread.unit_id != target.unit_id:
            return None
        unit = await session.get(Unit, target.unit_id)
        assert unit is not None
        evidence = None
        if written.file is not None:
            evidence = await add_evidence(
                session, target, author, written.file, update_id=update_id, now=now, period=period
            )
        posted = await _post_from_unit(
            session,
            _FromUnit(
                unit=unit,
                author=author,
                kind=written.kind,
                text=_clip(written.text, MAX_TEXT),
                period=period,
                key=STAFF_REPLY_KEY,
                file=written.file,
                media_group_id=written.media_group_id,
                evidence_id=evidence.evidence_id if evidence else None,
                preferred_thread=thread_id,
                update_id=update_id,
            ),
            now,
            buttons_for,
        )
    _wake(outbox, posted)
    return replace(posted, evidence=evidence)


async def answer_unit(
    db: Database,
    outbox: OutboxSignal,
    thread_id: int,
    author: Reporter,
    written: Written,
    *,
    update_id: int | None,
    now: datetime,
    buttons_for: ButtonsFor,
) -> Posted | None:
    """An officer's answer: stored in the thread, queued to every contact of the unit.

    The thread's status does not change (an answer is not "Đã xử lý"). None when the thread
    does not exist.
    """
    async with db.write() as session:
        repeated = await _repeated(session, update_id)
        if repeated is not None:
            return await _posted(session, repeated.thread_id)
        thread = await session.get(Thread, thread_id)
        if thread is None:
            return None
        unit = await session.get(Unit, thread.unit_id)
        assert unit is not None
        quoted = await _last_message(session, thread_id, ThreadSide.UNIT, with_text=True)
        author_id = author.user_id or 0
        file_id = written.file.file_id if written.file else None
        stored = ThreadMessage(
            thread_id=thread_id,
            side=ThreadSide.COMMUNE,
            kind=written.kind,
            author_user_id=author_id,
            author_name=author.name[:MAX_NAME],
            text=_clip(written.text, MAX_TEXT),
            file_id=file_id,
            media_group_id=written.media_group_id,
            source_update_id=update_id,
            created_at=now,
        )
        session.add(stored)
        thread.last_message_at = now
        record_event(
            session,
            author_id,
            "thread.message",
            thread_id=thread_id,
            side=ThreadSide.COMMUNE.value,
            kind=written.kind.value,
        )
        if written.media_group_id and written.kind == ThreadMessageKind.PHOTO and file_id:
            joined = await _join_album(
                session, author_id, written.media_group_id, file_id, stored.text or ""
            )
            if joined is not None:
                stored.directive_id = joined
                return Posted(thread_id, unit.name, 0, thread.status, joined=True)
        content = DirectiveContent(
            kind=MessageKind.ANSWER.value,
            subject=unit.name,
            body=stored.text or "",
            body_key=UNIT_ANSWER_KEY,
            body_params={"quote": _clip(quoted.text if quoted else None, MAX_QUOTE) or ""},
            photo_file_ids=(file_id,)
            if written.kind == ThreadMessageKind.PHOTO and file_id
            else (),
            document_file_id=file_id if written.kind == ThreadMessageKind.DOCUMENT else None,
            document_name=written.file.file_name if written.file else None,
            buttons=buttons_for(thread_id),
        )
        directive, count = await create_directive(
            session,
            content,
            Audience("units", (unit.code,)),
            actor_user_id=author_id,
            now=now,
            send_after=now + ALBUM_WAIT if written.media_group_id else None,
        )
        stored.directive_id = directive.id
        posted = Posted(thread_id, unit.name, count, thread.status)
    _wake(outbox, posted)
    return posted


async def _posted(session: AsyncSession, thread_id: int) -> Posted:
    """What a redelivered update gets: its thread, and nothing sent again."""
    thread = await session.get(Thread, thread_id)
    assert thread is not None
    unit = await session.get(Unit, thread.unit_id)
    assert unit is not None
    return Posted(thread_id, unit.name, 0, thread.status)


class Resolution(enum.StrEnum):
    """What "✅ Đã xử lý" did."""

    RESOLVED = "resolved"
    ALREADY = "already"
    MISSING = "missing"


@dataclass(frozen=True)
class Resolved:
    """The outcome, the unit, and when the thread was (first) marked handled."""

    outcome: Resolution
    unit_name: str = ""
    resolved_at: datetime | None = None


async def resolve_thread(
    db: Database, thread_id: int, actor_user_id: int, now: datetime
) -> Resolved:
    """Mark a thread handled once; pressing again (or another officer) changes nothing."""
    async with db.write() as session:
        thread = await session.get(Thread, thread_id)
        if thread is None:
            return Resolved(Resolution.MISSING)
        unit = await session.get(Unit, thread.unit_id)
        assert unit is not None
        if thread.status == ThreadStatus.RESOLVED:
            return Resolved(Resolution.ALREADY, unit.name, thread.resolved_at)
        thread.status = ThreadStatus.RESOLVED
        thread.resolved_at, thread.resolved_by = now, actor_user_id
        record_event(session, actor_user_id, "thread.resolved", thread_id=thread_id)
        return Resolved(Resolution.RESOLVED, unit.name, now)


@dataclass(frozen=True)
class LastMessage:
    """A thread's message as lists show it."""

    side: ThreadSide
    kind: ThreadMessageKind
    author_name: str
    text: str | None
    created_at: datetime


@dataclass(frozen=True)
class ThreadView:
    """One thread for /phanhoi and for the "↩️ Trả lời" question."""

    thread_id: int
    unit_id: int
    unit_name: str
    status: ThreadStatus
    messages: int
    last: LastMessage
    # The unit's newest message (what an officer answers), None if it has none.
    last_from_unit: LastMessage | None


async def _last_message(
    session: AsyncSession,
    thread_id: int,
    side: ThreadSide | None = None,
    *,
    with_text: bool = False,
) -> ThreadMessage | None:
    """A thread's newest message (of one side; with words, for a quote)."""
    query = select(ThreadMessage).where(ThreadMessage.thread_id == thread_id)
    if side is not None:
        query = query.where(ThreadMessage.side == side)
    if with_text:
        query = query.where(ThreadMessage.text.is_not(None))
    found: ThreadMessage | None = await session.scalar(
        query.order_by(ThreadMessage.created_at.desc(), ThreadMessage.id.desc()).limit(1)
    )
    return found


def _view_of(message: ThreadMessage) -> LastMessage:
    """The public view of a stored message."""
    return LastMessage(
        message.side, message.kind, message.author_name, message.text, message.created_at
    )


async def _thread_view(session: AsyncSession, thread: Thread, unit_name: str) -> ThreadView:
    """A thread with its last message and its message count."""
    last = await _last_message(session, thread.id)
    assert last is not None
    from_unit = (
        last
        if last.side == ThreadSide.UNIT
        else await _last_message(session, thread.id, ThreadSide.UNIT)
    )
    count = await session.scalar(
        select(func.count()).select_from(ThreadMessage).where(ThreadMessage.thread_id == thread.id)
    )
    return ThreadView(
        thread.id,
        thread.unit_id,
        unit_name,
        thread.status,
        int(count or 0),
        _view_of(last),
        _view_of(from_unit) if from_unit is not None else None,
    )


async def thread_view(db: Database, thread_id: int) -> ThreadView | None:
    """One thread, for the question "↩️ Trả lời" asks; None when unknown or empty."""
    async with db.read() as session:
        thread = await session.get(Thread, thread_id)
        if thread is None:
            return None
        unit = await session.get(Unit, thread.unit_id)
        assert unit is not None
        if await _last_message(session, thread_id) is None:
            return None
        return await _thread_view(session, thread, unit.name)


@dataclass(frozen=True)
class OpenThreads:
    """/phanhoi: how many threads are open, and the newest of them."""

    total: int
    threads: list[ThreadView]


async def count_flags(session: AsyncSession, since: datetime) -> tuple[int, int]:
    """Posts reported as bad information since `since`, and how many are handled."""
    resolved = case((Thread.status == ThreadStatus.RESOLVED, 1), else_=0)
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(resolved), 0))
            .select_from(ThreadMessage)
            .join(Thread, Thread.id == ThreadMessage.thread_id)
            .join(Unit, Unit.id == Thread.unit_id)
            # An archived unit's flags were closed with it, not handled: they count no more.
            .where(
                ThreadMessage.kind == ThreadMessageKind.FLAG,
                ThreadMessage.created_at >= since,
                Unit.active.is_(True),
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def count_open(session: AsyncSession) -> int:
    """How many threads wait for an officer."""
    count = await session.scalar(
        select(func.count())
        .select_from(Thread)
        .join(Unit, Unit.id == Thread.unit_id)
        .where(Thread.status == ThreadStatus.OPEN, Unit.active.is_(True))
    )
    return int(count or 0)


async def open_threads(db: Database, limit: int) -> OpenThreads:
    """The open threads, the most recently active first, with their last message."""
    async with db.read() as session:
        rows = (
            await session.execute(
                select(Thread, Unit.name)
                .join(Unit, Unit.id == Thread.unit_id)
                .where(Thread.status == ThreadStatus.OPEN, Unit.active.is_(True))
                .order_by(Thread.last_message_at.desc(), Thread.id.desc())
                .limit(limit)
            )
        ).all()
        views = [await _thread_view(session, thread, name) for thread, name in rows]
        return OpenThreads(await count_open(session), views)
