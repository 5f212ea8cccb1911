"""How `/nguoidung` and `binhdan users list` show the people with a role."""

from __future__ import annotations

from itertools import groupby
from zoneinfo import ZoneInfo

from bot.services.registry.contacts import GrantOutcome
from bot.services.registry.people import Person
from bot.texts.catalog import N_, Html, Translator
from bot.texts.labels import role_label
from models import Role

GROUPS = {
    Role.ADMIN: N_("people.group.admin"),
    Role.OFFICER: N_("people.group.officer"),
    Role.HEAD: N_("people.group.head"),
}

# What a refused grant says, in chat and on the command line.
GRANT_REFUSALS = {
    GrantOutcome.SELF_DEMOTE: N_("grant.self_demote"),
    GrantOutcome.HEAD_NEEDS_UNIT: N_("grant.head_needs_unit"),
    GrantOutcome.SCOPE_NEEDED: N_("grant.scope_needed"),
    GrantOutcome.UNKNOWN_COMMUNE: N_("grant.unknown_commune"),
    GrantOutcome.NO_COMMUNES: N_("grant.no_communes"),
}


def _last(t: Translator, person: Person, tz: ZoneInfo) -> str:
    """When the person last wrote, or that they never did (as far as the bot keeps)."""
    if person.last_wrote is None:
        return t.plain("people.never")
    return t.plain("people.last", when=t.datetime(person.last_wrote, tz))


def people_paragraphs(t: Translator, people: list[Person], tz: ZoneInfo) -> list[str]:
    """The chat view: a header, then one group per role, one line per person."""
    paragraphs: list[str] = [t("people.header", count=len(people))]
    for role, members in groupby(people, key=lambda person: person.role):
        group = list(members)
        paragraphs.append(Html("\n" + t(GROUPS[role], count=len(group))))
        paragraphs.extend(
            t(
                "people.line",
                name=person.name or t.plain("broadcast.no_name"),
                user_id=str(person.user_id),
                unit=person.unit_name or "—",
                last=_last(t, person, tz),
                blocked=t.plain("people.blocked") if person.blocked else "",
            )
            for person in group
        )
    return paragraphs


def people_rows(t: Translator, people: list[Person], tz: ZoneInfo) -> list[list[str]]:
    """The command line's view: one row per person, a header first."""
    header = t.plain("people.columns").split("|")
    rows = [
        [
            role_label(t, person.role),
            person.unit_code or "",
            str(person.user_id),
            person.name,
            t.datetime(person.last_wrote, tz) if person.last_wrote else "",
            t.plain("people.blocked").strip(" ·") if person.blocked else "",
        ]
        for person in people
    ]
    return [header, *rows]
