"""The chat reading service: what a typed message offers, refuses or leaves to the head."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services.registry.units import find_unit
from bot.services.reports.chat_figures import Offer, OutOfRange, figures_to_offer
from bot.services.reports.free_text import Doubt, Reading, Verdict
from bot.services.reports.numbers import Refusal
from bot.services.reports.reports import Figures, Reporter, Target
from bot.services.reports.submission import Request, submit_batch
from models.db import Database

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


async def _target(db: Database) -> Target:
    async with db.read() as session:
        unit = await find_unit(session, "T01")
        assert unit is not None and unit.adults is not None
        return Target(unit.id, unit.name, unit.adults, on_behalf=False)


async def test_figures_are_offered_with_the_completed_figure_a_report_would_keep(
    db: Database, units: None
) -> None:
    target = await _target(db)
    assert await figures_to_offer(db, target, "được 30 người") == Offer(30, None, None)
    async with db.write() as session:
        request = Request(target, Figures(20, 12), Reporter(1, "Ông A"), 1, datetime.now(TZ))
        await submit_batch(session, [request], "weekly", TZ)
    assert await figures_to_offer(db, target, "được 30 người") == Offer(30, None, 12)
    assert await figures_to_offer(db, target, "đăng ký 30, hoàn thành 25") == Offer(30, 25, None)


async def test_impossible_figures_are_refused_and_unclear_ones_are_left_as_read(
    db: Database, units: None
) -> None:
    target = await _target(db)
    assert target.adults is not None
    refused = await figures_to_offer(db, target, f"được {target.adults + 1} người")
    assert isinstance(refused, OutOfRange) and refused.refusal.reason == Refusal.ABOVE_ADULTS
    unsure = await figures_to_offer(db, target, "3 4 5")
    assert isinstance(unsure, Reading) and unsure.doubt == Doubt.TOO_MANY
    nothing = await figures_to_offer(db, target, "chào anh")
    assert isinstance(nothing, Reading) and nothing.verdict == Verdict.NO_FIGURES
