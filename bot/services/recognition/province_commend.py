"""The province's commendation list: communes ranked, as /bieuduong ranks a commune's units.

The same three achievements, judged per commune on its thôn/buôn: the highest share of adults
enrolled, the biggest rise this period in points of its adults, and reaching the target. It is
sent as a notice to every commune's officers, who read it to their units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.services.broadcasts.audience import OFFICERS, Audience, audience_size
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import OutboxSignal, create_directive
from bot.services.common.audit import record_event
from bot.services.common.keys import N_
from bot.services.reports.periods import Period
from bot.services.stats.province import CommuneLine, ProvinceView
from models import Directive, scope
from models.db import Database


@dataclass(frozen=True)
class CommuneMerit:
    """A commune on the list, with its places (None when not ranked) and the target reached."""

    line: CommuneLine
    share_rank: int | None
    rise_rank: int | None
    reached: bool


@dataclass(frozen=True)
class ProvinceCommendation:
    """The period and the communes proposed, best first."""

    period: Period
    merits: list[CommuneMerit]


def _ranks(values: dict[str, float], top: int) -> dict[str, int]:
    """Code → place among positive values, equal values sharing it, within the first `top`."""
    ordered = sorted((value for value in values.values() if value > 0), reverse=True)
    return {
        code: ordered.index(value) + 1
        for code, value in values.items()
        if value > 0 and ordered.index(value) < top
    }


def rank_communes(lines: list[CommuneLine], target: float, top: int) -> list[CommuneMerit]:
    """Every commune with an achievement, by its best place."""
    share = _ranks({line.code: line.percent or 0.0 for line in lines}, top)
    rise = _ranks({line.code: line.rise_points for line in lines}, top)
    merits = [
        CommuneMerit(line, share.get(line.code), rise.get(line.code), (line.percent or 0) >= target)
        for line in lines
    ]
    chosen = [m for m in merits if m.share_rank or m.rise_rank or m.reached]
    return sorted(chosen, key=lambda m: (m.share_rank or top + 1, m.rise_rank or top + 1))


def province_commendation(view: ProvinceView, *, target: float, top: int) -> ProvinceCommendation:
    """The communes the view's figures propose for its period."""
    return ProvinceCommendation(view.period, rank_communes(view.communes, target, top))


def merit_values(merit: CommuneMerit) -> list[object]:
    """A commune of the list as stored values: name, share, places, target reached."""
    line = merit.line
    return [line.name, line.percent, merit.share_rank, merit.rise_rank, merit.reached]


async def send_province_commendation(
    db: Database,
    outbox: OutboxSignal,
    listed: ProvinceCommendation,
    *,
    province: str,
    target: float,
    actor_user_id: int,
    now: datetime,
    control: tuple[int, int],
) -> int | None:
    """Queue the list to every commune's officers; how many it reaches (0: nobody).

    `control` is the officer's message (chat, message) whose button sent it: it becomes the
    progress, and a second press on it sends nothing more (None).
    """
    if scope.is_narrowed() or not listed.merits:
        return 0
    chat_id, message_id = control
    async with db.write() as session:
        already = await session.scalar(
            select(Directive.id).where(
                Directive.progress_chat_id == chat_id, Directive.progress_message_id == message_id
            )
        )
        if already is not None:
            return None
        _, officers = await audience_size(session, Audience(OFFICERS))
        if not officers:
            return 0
        content = DirectiveContent.notice(
            N_("province.commend_list"),
            {
                "province": province,
                "period": listed.period.label,
                "target": target,
                "communes": [merit_values(merit) for merit in listed.merits],
            },
        )
        _, queued = await create_directive(
            session,
            content,
            Audience(OFFICERS),
            actor_user_id=actor_user_id,
            now=now,
            progress_chat_id=chat_id,
            progress_message_id=message_id,
        )
        record_event(
            session,
            actor_user_id,
            "commendation.province",
            period=listed.period.key,
            communes=[merit.line.code for merit in listed.merits],
            deliveries=queued,
        )
    outbox.wake()
    return queued
