"""How a directive looks to its recipients, in their language, within Telegram's limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.services.broadcasts.content import DirectiveContent
from bot.texts.catalog import N_, Translator
from bot.texts.formatting import escape, split_for_telegram
from bot.texts.labels import commune_title
from bot.texts.markdown import markdown_blocks
from bot.texts.recognition import LAYOUTS
from bot.texts.schedules import WEEKDAYS
from bot.texts.threads import THREAD_KINDS, thread_message_html
from models import COMPOSED_KINDS, MessageKind

MAX_TEXT = 4096
MAX_CAPTION = 1024
# Room kept in each part for the "(tiếp theo i/n)" marker.
PART_MARKER_ROOM = 40


@dataclass(frozen=True)
class Rendered:
    """What is sent: photos (one, or an album), an optional document, then text parts.

    The last part carries the buttons ("✅ Đã nhận" and the like).
    """

    document_file_id: str | None
    caption: str | None
    parts: list[str]
    photo_file_ids: tuple[str, ...] = ()
    voice_file_id: str | None = None

    @property
    def message_count(self) -> int:
        """How many sends one recipient gets (an album is one)."""
        files = (self.document_file_id, self.voice_file_id)
        return len(self.parts) + sum(1 for f in files if f) + (1 if self.photos else 0)

    @property
    def photos(self) -> bool:
        """Whether photos go first."""
        return bool(self.photo_file_ids)


def _heading(
    content: DirectiveContent, t: Translator, commune: str, province: str | None
) -> list[str]:
    """The header (commune's or province's), the number and date line, the subject."""
    official = content.kind == MessageKind.OFFICIAL
    if province is not None and official:
        header = t("official.header_province", province=province.upper())
    elif province is not None:
        header = t("directive.header_province", province=province.upper())
    elif official:
        header = t("official.header", commune=commune_title(t, commune).upper())
    else:
        header = t("directive.header", commune=commune_title(t, commune).upper())
    lines: list[str] = [header]
    reference = []
    if content.number:
        reference.append(t("directive.number", number=content.number))
    if content.issued_on:
        reference.append(t("directive.issued_on", date=t.date(content.issued_on)))
    if reference:
        lines.append(" · ".join(reference))
    if content.subject:
        lines.append(t("directive.subject", subject=content.subject))
    return lines


def _footer(content: DirectiveContent, t: Translator, course_url: str) -> list[str]:
    """The deadline, then the course link (official information: where to check facts)."""
    lines: list[str] = []
    if content.deadline:
        lines.append(t("directive.deadline", deadline=t.date(content.deadline)))
    if content.kind == MessageKind.OFFICIAL:
        lines.append(t("official.footer"))
    else:
        lines.append(t("directive.course", url=course_url))
    return lines


def deadline_phrase(t: Translator, local_iso: str) -> str:
    """A deadline as people say it: "17:00 Thứ Sáu 27/11" (stored as local ISO time)."""
    when = datetime.fromisoformat(local_iso)
    return t.plain(
        "deadline.when",
        time=f"{when:%H:%M}",
        weekday=t.plain(WEEKDAYS[when.weekday()]),
        date=f"{when:%d/%m}",
    )


def _chase(t: Translator, params: dict[str, Any], unit: str | None) -> str:
    """A late unit's chase, naming the unit and the deadline (older rows named neither)."""
    if unit is None or "deadline" not in params:
        return t.plain("message.chase", period=params.get("period", ""))
    deadline = deadline_phrase(t, params["deadline"])
    if params.get("passed"):
        return t.plain(
            "message.chase.unit_late", unit=unit, period=params["period"], deadline=deadline
        )
    return t.plain("message.chase.unit", unit=unit, period=params["period"], deadline=deadline)


def _reminder(t: Translator, params: dict[str, Any], unit: str | None) -> str:
    """The weekly reminder, naming the unit and the deadline (older rows named neither)."""
    if unit is None or "deadline" not in params:
        return t.plain("message.reminder")
    deadline = deadline_phrase(t, params["deadline"])
    if params.get("passed"):
        return t.plain("message.reminder.unit_late", unit=unit, deadline=deadline)
    return t.plain("message.reminder.unit", unit=unit, deadline=deadline)


def _escalation(t: Translator, params: dict[str, Any], unit: str | None = None) -> str:
    """Officers' note after the deadline: the late units and their contacts."""
    late: list[list[Any]] = params["late"]
    trial = params.get("trial")
    if not late:
        if trial:
            return t.plain("message.escalation.trial_none", period=params["period"], deadline=trial)
        return t.plain("message.escalation.none", period=params["period"])
    lines = [
        t.plain(
            "message.escalation.line",
            unit=name,
            contacts=t.join(contacts) if contacts else t.plain("stats.nobody"),
        )
        for name, contacts in late
    ]
    if trial:
        return t.plain(
            "message.escalation.trial",
            period=params["period"],
            deadline=trial,
            count=len(late),
            lines="\n".join(lines),
        )
    return t.plain(
        "message.escalation", period=params["period"], count=len(late), lines="\n".join(lines)
    )


def _digest(t: Translator, params: dict[str, Any], unit: str | None = None) -> str:
    """The weekly digest for officers and leaders."""
    percent = params["percent"]
    lines: list[str] = [
        t.plain(
            "message.digest.title",
            commune=commune_title(t, params["commune"]),
            period=params["period"],
        ),
        t.plain(
            "message.digest.enrolled",
            enrolled=params["enrolled"],
            percent=t.percent(percent) if percent is not None else "—",
            change=change_phrase(t, params["change"]),
        ),
        t.plain("message.digest.reported", reported=params["reported"], units=params["units"]),
    ]
    if params["top"]:
        lines.append(t.plain("message.digest.top", units=t.join(params["top"])))
    if params["late"]:
        lines.append(t.plain("message.digest.late", units=t.join(params["late"])))
    return "\n".join(lines)


def _province_digest(t: Translator, params: dict[str, Any], unit: str | None = None) -> str:
    """The province's digest: its totals, then the communes behind, least complete first."""
    percent = params["percent"]
    lines = [
        t.plain(
            "message.province_digest.title", province=params["province"], period=params["period"]
        ),
        t.plain(
            "message.province_digest.totals",
            communes=params["communes"],
            enrolled=params["enrolled"],
            adults=params["adults"],
            percent=t.percent(percent) if percent is not None else "—",
            reported=params["reported"],
            units=params["units"],
        ),
    ]
    if params["behind"]:
        lines.append(t.plain("message.province_digest.behind"))
        lines += [
            t.plain(
                "message.province_digest.line", name=name, code=code, reported=done, units=units
            )
            for name, code, done, units in params["behind"]
        ]
    if params["more"]:
        lines.append(t.plain("message.province_digest.more", count=params["more"]))
    return "\n".join(lines)


def change_phrase(t: Translator, delta: int) -> str:
    """Word a change between periods ("tăng 120", "giảm 3", "không đổi"), in one place."""
    if delta == 0:
        return t.plain("change.none")
    key = N_("change.up") if delta > 0 else N_("change.down")
    return t.plain(key, amount=abs(delta))


# Generated messages whose layout is more than one template.
COMPOSED: dict[str, Callable[[Translator, dict[str, Any], str | None], str]] = {
    N_("message.escalation"): _escalation,
    N_("message.digest"): _digest,
    N_("message.province_digest"): _province_digest,
    N_("message.chase"): _chase,
    N_("message.reminder"): _reminder,
}
# Generated messages that name the recipient's own unit.
PER_UNIT = frozenset({"message.chase", "message.reminder"})


def names_the_unit(content: DirectiveContent) -> bool:
    """Whether the text differs per recipient's unit (rendered once per unit, not per message)."""
    return content.body_key in PER_UNIT


def generated_text(content: DirectiveContent, t: Translator, unit: str | None = None) -> str:
    """The plain text of a message: the officer's own words, or a catalog message."""
    if content.body_key is None:
        return content.body
    compose = COMPOSED.get(content.body_key)
    if compose is not None:
        return compose(t, content.body_params, unit)
    return t.plain(content.body_key, **content.body_params)


def render_directive(
    content: DirectiveContent,
    t: Translator,
    commune: str,
    course_url: str,
    unit: str | None = None,
    *,
    province: str | None = None,
) -> Rendered:
    """Lay out a message; long bodies are split between paragraphs, never inside a tag.

    Reminders and chases are short notes to heads: no official heading, just the text (which
    names the recipient's `unit`). A thread's messages (a unit's note to officers, an officer's
    answer) carry their own heading and no course link.
    """
    if content.kind in THREAD_KINDS:
        return Rendered(
            content.document_file_id,
            None,
            split_for_telegram([thread_message_html(t, content)], MAX_TEXT),
            content.photo_file_ids,
            content.voice_file_id,
        )
    layout = LAYOUTS.get(content.body_key or "")
    if layout is not None:
        # Good models, commendations, milestones: HTML blocks, cut between blocks only.
        blocks = layout(t, content.body_params, commune, course_url)
        return Rendered(
            None, None, split_for_telegram(list(blocks), MAX_TEXT), content.photo_file_ids
        )
    body = generated_text(content, t, unit)
    if content.kind == MessageKind.DIGEST:
        # Officers' own notes (escalation, digest): no course link, it is not for them.
        return Rendered(
            None, None, split_for_telegram([escape(body)], MAX_TEXT), content.photo_file_ids
        )
    if content.kind not in COMPOSED_KINDS:
        text = f"{escape(body)}\n\n" + "\n".join(_footer(content, t, course_url))
        return Rendered(None, None, split_for_telegram([text], MAX_TEXT), content.photo_file_ids)
    heading = "\n".join(_heading(content, t, commune, province))
    footer = "\n".join(_footer(content, t, course_url))
    if content.body_format == "markdown":
        paragraphs = markdown_blocks(body)
    else:
        paragraphs = [escape(p.strip()) for p in body.split("\n\n") if p.strip()]
    caption = None
    if content.document_file_id:
        caption = heading if len(heading) <= MAX_CAPTION else heading[:MAX_CAPTION]
        first: list[str] = [t("directive.attachment")]
    else:
        first = [heading]
    chunks = split_for_telegram(
        [*first, *paragraphs, footer], MAX_TEXT - PART_MARKER_ROOM, separator="\n\n"
    )
    total = len(chunks)
    parts = [
        chunk if index == 0 else t("directive.part", index=index + 1, total=total) + "\n" + chunk
        for index, chunk in enumerate(chunks)
    ]
    return Rendered(content.document_file_id, caption, parts, content.photo_file_ids)


# What a message is called when it has no subject of its own (progress, summaries, lists).
KIND_SUBJECTS = {
    MessageKind.DIRECTIVE: N_("subject.directive"),
    MessageKind.OFFICIAL: N_("subject.official"),
    MessageKind.REMINDER: N_("subject.reminder"),
    MessageKind.CHASE: N_("subject.chase"),
    MessageKind.DIGEST: N_("subject.digest"),
    MessageKind.FEEDBACK: N_("subject.feedback"),
    MessageKind.ANSWER: N_("subject.answer"),
    MessageKind.MODEL_REVIEW: N_("subject.model_review"),
    MessageKind.MODEL: N_("subject.model"),
    MessageKind.COMMENDATION: N_("subject.commendation"),
    MessageKind.NOTICE: N_("subject.notice"),
}


def subject_of(t: Translator, kind: MessageKind, subject: str) -> str:
    """A message's subject, or the name of its kind."""
    return subject or t.plain(KIND_SUBJECTS[kind])
