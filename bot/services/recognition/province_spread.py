"""Spreading a good model to the whole province: one commune's model to all the others."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.broadcasts.audience import COMMUNES, Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import OutboxSignal, create_directive
from bot.services.common.audit import record_event
from bot.services.common.keys import N_
from models import Commune, GoodModel, GoodModelStatus, MessageKind, Unit, scope
from models.db import Database

# Approved (perhaps already spread in its commune): a model the province may pass on.
READY = (GoodModelStatus.APPROVED, GoodModelStatus.SPREAD)


class ProvinceOutcome(enum.StrEnum):
    """What "📢 Lan tỏa toàn tỉnh" did."""

    DONE = "done"
    ALREADY = "already"
    GONE = "gone"
    # Awaiting review or refused: the province passes on only what a commune approved.
    NOT_READY = "not_ready"
    # Only a province officer or an admin speaks to every commune.
    NOT_PROVINCE = "not_province"
    NOBODY = "nobody"


@dataclass(frozen=True)
class ProvinceSpread:
    """The outcome, the model's title and unit, and how many people it was queued for."""

    outcome: ProvinceOutcome
    title: str = ""
    unit: str = ""
    recipients: int = 0


async def _other_communes(session: AsyncSession, commune_id: int | None) -> tuple[str, ...]:
    """The codes of every commune but the model's own (which read it already)."""
    codes = await session.scalars(
        select(Commune.code).where(Commune.id.is_distinct_from(commune_id)).order_by(Commune.code)
    )
    return tuple(codes)


async def spread_to_province(
    db: Database,
    outbox: OutboxSignal,
    model_id: int,
    *,
    province: str,
    actor_user_id: int,
    now: datetime,
) -> ProvinceSpread:
    """Queue "🌟 Mô hình hay" to every unit of the other communes, once, audited."""
    if scope.is_narrowed():
        return ProvinceSpread(ProvinceOutcome.NOT_PROVINCE)
    async with db.write() as session:
        row = (
            await session.execute(
                select(GoodModel, Unit, Commune)
                .join(Unit, Unit.id == GoodModel.unit_id)
                .outerjoin(Commune, Commune.id == Unit.commune_id)
                .where(GoodModel.id == model_id)
            )
        ).first()
        if row is None:
            return ProvinceSpread(ProvinceOutcome.GONE)
        model, unit, commune = row
        if model.status not in READY:
            return ProvinceSpread(ProvinceOutcome.NOT_READY, model.title, unit.name)
        audience = Audience(COMMUNES, await _other_communes(session, unit.commune_id))
        if not audience.codes:
            return ProvinceSpread(ProvinceOutcome.NOBODY, model.title, unit.name)
        claimed = await session.execute(
            update(GoodModel)
            .where(GoodModel.id == model_id, GoodModel.province_spread_at.is_(None))
            .values(province_spread_at=now, province_spread_by=actor_user_id)
        )
        if not getattr(claimed, "rowcount", 0):
            return ProvinceSpread(ProvinceOutcome.ALREADY, model.title, unit.name)
        content = DirectiveContent(
            subject=model.title,
            body="",
            kind=MessageKind.MODEL.value,
            body_key=N_("model.spread_province"),
            body_params={
                "unit": unit.name,
                "commune": commune.name if commune is not None else "",
                "province": province,
                "title": model.title,
                "text": model.body,
            },
            photo_file_ids=tuple(model.photo_file_ids or ()),
        )
        _, queued = await create_directive(
            session, content, audience, actor_user_id=actor_user_id, now=now
        )
        record_event(
            session,
            actor_user_id,
            "model.spread_province",
            model_id=model_id,
            communes=len(audience.codes),
            deliveries=queued,
        )
    if queued:
        outbox.wake()
    return ProvinceSpread(ProvinceOutcome.DONE, model.title, unit.name, queued)
