"""`binhdan units merge OLD NEW [--yes]`: what the merge does, a confirmation, then the merge."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bot.cli.errors import CliError
from bot.services.common.folding import fold
from bot.services.registry.unit_merge import MergePlan, MergeRefused, merge_units, plan_merge
from bot.settings import Settings
from bot.texts import N_, translator
from models.base import utcnow
from models.db import Database

REFUSALS = {
    MergeRefused.SAME: N_("cli.merge.same"),
    MergeRefused.UNKNOWN_OLD: N_("cli.merge.unknown"),
    MergeRefused.UNKNOWN_NEW: N_("cli.merge.unknown"),
    MergeRefused.OLD_ARCHIVED: N_("cli.merge.archived"),
    MergeRefused.NEW_ARCHIVED: N_("cli.merge.archived"),
    MergeRefused.OTHER_COMMUNE: N_("cli.merge.other_commune"),
}
# What a person types on the terminal to go ahead, diacritics folded ("có" reads "co").
YES_WORDS = frozenset({"co", "c", "y", "yes"})


def _refuse(refusal: MergeRefused, args: argparse.Namespace) -> CliError:
    """The one line that says why, naming the code concerned."""
    code = (
        args.new if refusal in (MergeRefused.UNKNOWN_NEW, MergeRefused.NEW_ARCHIVED) else args.old
    )
    return CliError(REFUSALS[refusal], code=code)


def _describe(plan: MergePlan) -> str:
    """What the merge does, in a few lines."""
    t = translator()
    unknown = t.plain("units.unknown_adults")
    return t.plain(
        "cli.merge.plan",
        old=f"{plan.old_code} {plan.old_name}",
        new=f"{plan.new_code} {plan.new_name}",
        people=plan.people,
        reports=plan.old_reports,
        enrolled=t.number(plan.enrolled) if plan.enrolled is not None else unknown,
        adults=t.number(plan.adults) if plan.adults is not None else unknown,
    )


def confirmed(args: argparse.Namespace, ask: Callable[[str], str] = input) -> bool:
    """--yes, or "có" typed on a terminal; without a terminal --yes is required."""
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise CliError(N_("cli.merge.needs_yes"))
    answer = ask(translator().plain("cli.merge.ask") + " ")
    return fold(answer).strip() in YES_WORDS


async def merge(db: Database, settings: Settings, args: argparse.Namespace) -> int:
    """Show the plan, ask, merge; 1 when the person said no, 2 (CliError) when refused."""
    plan = await plan_merge(db, args.old, args.new)
    if isinstance(plan, MergeRefused):
        raise _refuse(plan, args)
    print(_describe(plan))
    if not confirmed(args):
        print(translator().plain("cli.merge.cancelled"))
        return 1
    done = await merge_units(
        db,
        args.old,
        args.new,
        now=utcnow(),
        period_kind=settings.report_period,
        tz=settings.tz,
        actor_user_id=None,
    )
    if isinstance(done, MergeRefused):  # changed between the question and the answer
        raise _refuse(done, args)
    print(translator().plain("cli.merge.done", old=done.old_code, new=done.new_code))
    return 0
