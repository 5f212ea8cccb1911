"""Good models (mô hình hay, cách làm hay): shared by a unit, reviewed, spread to every unit.

The service stores and moves models through their states (drawn on `GoodModelStatus`) and
writes the outbox rows that carry them, each in the same transaction as the change. It never
builds callback data: the handler passes the review buttons in (they name the model's id).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.broadcasts.audience import ALL, STAFF, Audience, AudienceError, audience_size
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import OutboxSignal, create_directive
from bot.services.common.audit import record_event
from bot.services.common.keys import N_
from bot.services.reports.reports import Reporter, Target
from models import GoodModel, GoodModelStatus, MessageKind, Unit
from models.db import Database

# Telegram shows a short title on one line; longer first lines are cut at a word.
MAX_TITLE = 120
DEFAULT_TITLE = 80
# The end of a sentence inside a paragraph: ".", "!" or "?" before a space.
SENTENCE_END = re.compile(r"[.!?](?=\s)")
# The text of a model (the spread message also carries the unit, title and course link).
MAX_BODY = 2000
# "A text with up to a few photos": one album on every phone.
MAX_PHOTOS = 3
MAX_REASON = 300

Buttons = tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class ModelView:
    """A good model as screens and messages show it."""

    model_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    author_name: str
    on_behalf: bool
    title: str
    body: str
    photo_file_ids: tuple[str, ...]
    status: GoodModelStatus
    audience: Audience
    reason: str | None
    created_at: datetime
    approved_at: datetime | None
    spread_at: datetime | None


def _audience(stored: str) -> Audience:
    """The stored audience, or everyone if it no longer parses."""
    try:
        return Audience.parse(stored)
    except AudienceError:
        return Audience(ALL)


def _view(model: GoodModel, unit: Unit) -> ModelView:
    """Snapshot a model row and its unit."""
    return ModelView(
        model_id=model.id,
        unit_id=unit.id,
        unit_code=unit.code,
        unit_name=unit.name,
        author_name=model.author_name,
        on_behalf=model.on_behalf,
        title=model.title,
        body=model.body,
        photo_file_ids=tuple(model.photo_file_ids or ()),
        status=model.status,
        audience=_audience(model.audience),
        reason=model.reason,
        created_at=model.created_at,
        approved_at=model.approved_at,
        spread_at=model.spread_at,
    )


def split_title(text: str) -> tuple[str, str]:
    """A title and a body from what the unit wrote.

    A short first line followed by more is the title; in one long paragraph, a short first
    sentence is; otherwise the title is the start of the text, cut at a word, and the body is
    the whole text.
    """
    cleaned = text.strip()
    first, _, rest = cleaned.partition("\n")
    first = " ".join(first.split())
    if rest.strip() and len(first) <= DEFAULT_TITLE:
        return first, rest.strip()
    if len(first) <= DEFAULT_TITLE:
        return first, "" if first == " ".join(cleaned.split()) else cleaned
    # One long paragraph: its first sentence, when short, is the title, and the body goes on
    # from there, so the title is not read twice.
    sentence = SENTENCE_END.search(first)
    if sentence is not None and sentence.end() <= DEFAULT_TITLE:
        # Cut the tidied first line (its spaces collapsed), then add the lines after it.
        body = "\n".join(p for p in (first[sentence.end() :].strip(), rest.strip()) if p)
        return first[: sentence.end()].strip().rstrip("."), body
    cut = first[: DEFAULT_TITLE - 1].rsplit(" ", 1)[0] or first[: DEFAULT_TITLE - 1]
    return cut.rstrip(",.;:–- ") + "…", cleaned


def spread_params(view: ModelView) -> dict[str, str]:
    """What the spread message (and its previews) say: unit, title and text."""
    return {"unit": view.unit_name, "title": view.title, "text": view.body}


@dataclass(frozen=True)
class Sharing:
    """What a unit sends through /chiase."""

    target: Target
    author: Reporter
    text: str
    photo_file_ids: tuple[str, ...]
    update_id: int | None


@dataclass(frozen=True)
class Submitted:
    """The stored model and how many officers the review message goes to."""

    model: ModelView
    reviewers: int
    duplicate: bool = False


async def _load(session: AsyncSession, model_id: int) -> ModelView | None:
    """A model and its unit, or None."""
    row = (
        await session.execute(
            select(GoodModel, Unit)
            .join(Unit, Unit.id == GoodModel.unit_id)
            .where(GoodModel.id == model_id)
        )
    ).first()
    return _view(row[0], row[1]) if row is not None else None


async def submit_model(
    db: Database,
    outbox: OutboxSignal,
    sharing: Sharing,
    *,
    now: datetime,
    review_buttons: Callable[[int], Buttons],
) -> Submitted:
    """Store the model and queue it to every officer with the review buttons, in one go."""
    title, body = split_title(sharing.text)
    async with db.write() as session:
        if sharing.update_id is not None:
            existing = await session.scalar(
                select(GoodModel.id).where(GoodModel.source_update_id == sharing.update_id)
            )
            if existing is not None:
                view = await _load(session, existing)
                assert view is not None
                return Submitted(view, 0, duplicate=True)
        model = GoodModel(
            unit_id=sharing.target.unit_id,
            author_user_id=sharing.author.user_id or 0,
            author_name=sharing.author.name[:200],
            on_behalf=sharing.target.on_behalf,
            title=title[:MAX_TITLE],
            body=body[:MAX_BODY],
            photo_file_ids=list(sharing.photo_file_ids[:MAX_PHOTOS]) or None,
            status=GoodModelStatus.SUBMITTED,
            audience=ALL,
            source_update_id=sharing.update_id,
            created_at=now,
        )
        session.add(model)
        await session.flush()
        view = await _load(session, model.id)
        assert view is not None
        content = DirectiveContent(
            subject=view.title,
            body="",
            kind=MessageKind.MODEL_REVIEW.value,
            body_key=N_("model.review"),
            body_params={**spread_params(view), "author": view.author_name},
            photo_file_ids=view.photo_file_ids,
            buttons=review_buttons(model.id),
        )
        _, reviewers = await create_directive(
            session, content, Audience(STAFF), actor_user_id=sharing.author.user_id, now=now
        )
        record_event(
            session,
            sharing.author.user_id,
            "model.submitted",
            model_id=model.id,
            unit_id=view.unit_id,
            on_behalf=view.on_behalf,
            photos=len(view.photo_file_ids),
        )
    if reviewers:
        outbox.wake()
    return Submitted(view, reviewers)


class ReviewOutcome(enum.StrEnum):
    """What a review step did."""

    DONE = "done"
    # The model was not in the state the step starts from (another officer was first).
    ALREADY = "already"
    GONE = "gone"
    # Spreading: the chosen audience has nobody registered.
    NOBODY = "nobody"


@dataclass(frozen=True)
class Reviewed:
    """A review step's outcome and the model as it stands after it."""

    outcome: ReviewOutcome
    model: ModelView | None
    recipients: int = 0


async def _move(
    session: AsyncSession,
    model_id: int,
    source: GoodModelStatus,
    **values: object,
) -> bool:
    """Change a model that is still in `source`; True only for the caller that changed it."""
    result = await session.execute(
        update(GoodModel)
        .where(GoodModel.id == model_id, GoodModel.status == source)
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


def _notice(
    key: str, params: dict[str, object], unit_code: str
) -> tuple[DirectiveContent, Audience]:
    """A short note to one unit's contacts, rendered in each reader's language."""
    return DirectiveContent.notice(key, params), Audience("units", (unit_code,))


async def approve_model(
    db: Database, outbox: OutboxSignal, model_id: int, *, actor_user_id: int, now: datetime
) -> Reviewed:
    """Handle "✅ Duyệt": approve once, and thank the unit that shared it."""
    queued = 0
    async with db.write() as session:
        moved = await _move(
            session,
            model_id,
            GoodModelStatus.SUBMITTED,
            status=GoodModelStatus.APPROVED,
            reviewed_by=actor_user_id,
            approved_at=now,
        )
        view = await _load(session, model_id)
        if view is None:
            return Reviewed(ReviewOutcome.GONE, None)
        if not moved:
            return Reviewed(ReviewOutcome.ALREADY, view)
        content, audience = _notice(
            N_("model.thanks"), {"unit": view.unit_name, "title": view.title}, view.unit_code
        )
        _, queued = await create_directive(
            session, content, audience, actor_user_id=actor_user_id, now=now
        )
        record_event(session, actor_user_id, "model.approved", model_id=model_id)
    if queued:
        outbox.wake()
    return Reviewed(ReviewOutcome.DONE, view, queued)


async def reject_model(
    db: Database,
    outbox: OutboxSignal,
    model_id: int,
    reason: str,
    *,
    actor_user_id: int,
    now: datetime,
) -> Reviewed:
    """Handle "❌ Không duyệt": refuse once, and send the reason back to the unit kindly."""
    reason = " ".join(reason.split())[:MAX_REASON]
    queued = 0
    async with db.write() as session:
        moved = await _move(
            session,
            model_id,
            GoodModelStatus.SUBMITTED,
            status=GoodModelStatus.REJECTED,
            reason=reason,
            reviewed_by=actor_user_id,
            rejected_at=now,
        )
        view = await _load(session, model_id)
        if view is None:
            return Reviewed(ReviewOutcome.GONE, None)
        if not moved:
            return Reviewed(ReviewOutcome.ALREADY, view)
        content, audience = _notice(
            N_("model.rejected"),
            {"unit": view.unit_name, "title": view.title, "reason": reason},
            view.unit_code,
        )
        _, queued = await create_directive(
            session, content, audience, actor_user_id=actor_user_id, now=now
        )
        record_event(session, actor_user_id, "model.rejected", model_id=model_id, reason=reason)
    if queued:
        outbox.wake()
    return Reviewed(ReviewOutcome.DONE, view, queued)


async def retitle_model(
    db: Database,
    outbox: OutboxSignal,
    model_id: int,
    title: str,
    *,
    actor_user_id: int,
    now: datetime,
) -> Reviewed:
    """Handle "✏️ Sửa tiêu đề" on an approved model (not yet spread); the unit learns it.

    Its thanks named the old title: a short notice gives it the one units will read.
    """
    title = " ".join(title.split())[:MAX_TITLE]
    queued = 0
    async with db.write() as session:
        before = await _load(session, model_id)
        if before is None:
            return Reviewed(ReviewOutcome.GONE, None)
        moved = await _move(session, model_id, GoodModelStatus.APPROVED, title=title)
        view = await _load(session, model_id)
        if not moved or view is None:
            return Reviewed(ReviewOutcome.ALREADY, view)
        record_event(
            session, actor_user_id, "model.retitled", model_id=model_id, old=before.title, new=title
        )
        if title != before.title:
            content, audience = _notice(
                N_("model.retitled_notice"),
                {"unit": view.unit_name, "title": title},
                view.unit_code,
            )
            _, queued = await create_directive(
                session, content, audience, actor_user_id=actor_user_id, now=now
            )
    if queued:
        outbox.wake()
    return Reviewed(ReviewOutcome.DONE, view, queued)


async def choose_model_audience(
    db: Database, model_id: int, audience: Audience, *, actor_user_id: int
) -> Reviewed:
    """Handle "👥 Gửi tới" on an approved model: who "📢 Lan tỏa" will reach."""
    async with db.write() as session:
        moved = await _move(session, model_id, GoodModelStatus.APPROVED, audience=str(audience))
        view = await _load(session, model_id)
        if view is None:
            return Reviewed(ReviewOutcome.GONE, None)
        if not moved:
            return Reviewed(ReviewOutcome.ALREADY, view)
        record_event(
            session, actor_user_id, "model.audience", model_id=model_id, audience=str(audience)
        )
    return Reviewed(ReviewOutcome.DONE, view)


async def spread_model(
    db: Database,
    outbox: OutboxSignal,
    model_id: int,
    *,
    actor_user_id: int,
    now: datetime,
    progress_chat_id: int | None = None,
    progress_message_id: int | None = None,
) -> Reviewed:
    """Handle "📢 Lan tỏa": queue "🌟 Mô hình hay — <unit>" with its photos, once.

    It goes to the model's audience as an acknowledged message, tracked like a directive; the
    officer's control message becomes its progress and summary.
    """
    async with db.write() as session:
        view = await _load(session, model_id)
        if view is None:
            return Reviewed(ReviewOutcome.GONE, None)
        if view.status != GoodModelStatus.APPROVED:
            return Reviewed(ReviewOutcome.ALREADY, view)
        _, people = await audience_size(session, view.audience)
        if people == 0:
            return Reviewed(ReviewOutcome.NOBODY, view)
        if not await _move(
            session,
            model_id,
            GoodModelStatus.APPROVED,
            status=GoodModelStatus.SPREAD,
            spread_by=actor_user_id,
            spread_at=now,
        ):
            return Reviewed(ReviewOutcome.ALREADY, await _load(session, model_id))
        content = DirectiveContent(
            subject=view.title,
            body="",
            kind=MessageKind.MODEL.value,
            body_key=N_("model.spread"),
            body_params=spread_params(view),
            photo_file_ids=view.photo_file_ids,
        )
        directive, queued = await create_directive(
            session,
            content,
            view.audience,
            actor_user_id=actor_user_id,
            now=now,
            progress_chat_id=progress_chat_id,
            progress_message_id=progress_message_id,
        )
        await session.execute(
            update(GoodModel).where(GoodModel.id == model_id).values(directive_id=directive.id)
        )
        record_event(
            session,
            actor_user_id,
            "model.spread",
            model_id=model_id,
            directive_id=directive.id,
            audience=str(view.audience),
            deliveries=queued,
        )
        view = await _load(session, model_id)
    if queued:
        outbox.wake()
    return Reviewed(ReviewOutcome.DONE, view, queued)


async def find_model(db: Database, model_id: int) -> ModelView | None:
    """One model, whatever its state."""
    async with db.read() as session:
        return await _load(session, model_id)


@dataclass(frozen=True)
class ModelList:
    """/mohinh: the newest approved models, how many there are, and those awaiting review."""

    models: list[ModelView]
    total: int
    pending: list[ModelView]


async def list_models(db: Database, limit: int, *, with_pending: bool) -> ModelList:
    """The approved and spread models, newest first; officers also get those to review."""
    shown = (GoodModelStatus.APPROVED, GoodModelStatus.SPREAD)
    async with db.read() as session:
        rows = await session.execute(
            select(GoodModel, Unit)
            .join(Unit, Unit.id == GoodModel.unit_id)
            .where(GoodModel.status.in_(shown))
            .order_by(GoodModel.approved_at.desc(), GoodModel.id.desc())
            .limit(limit)
        )
        models = [_view(model, unit) for model, unit in rows]
        total = await session.scalar(
            select(func.count()).select_from(GoodModel).where(GoodModel.status.in_(shown))
        )
        pending: list[ModelView] = []
        if with_pending:
            waiting = await session.execute(
                select(GoodModel, Unit)
                .join(Unit, Unit.id == GoodModel.unit_id)
                .where(GoodModel.status == GoodModelStatus.SUBMITTED)
                .order_by(GoodModel.id)
                .limit(limit)
            )
            pending = [_view(model, unit) for model, unit in waiting]
    return ModelList(models, int(total or 0), pending)
