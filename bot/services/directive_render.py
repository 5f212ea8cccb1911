"""How a directive looks to its recipients: HTML parts within Telegram's limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot import texts
from bot.formatting import escape, format_date, split_for_telegram

MAX_TEXT = 4096
MAX_CAPTION = 1024


@dataclass(frozen=True)
class DirectiveContent:
    """The fields that make up a directive's text."""

    subject: str
    body: str
    kind: str = "directive"
    number: str | None = None
    issued_on: date | None = None
    deadline: date | None = None
    document_file_id: str | None = None
    document_name: str | None = None


@dataclass(frozen=True)
class Rendered:
    """What is sent: an optional document with caption, then text parts.

    The last part carries the "✅ Đã nhận" button.
    """

    document_file_id: str | None
    caption: str | None
    parts: list[str]

    @property
    def message_count(self) -> int:
        """How many messages one recipient gets."""
        return len(self.parts) + (1 if self.document_file_id else 0)


def _heading(content: DirectiveContent, commune: str) -> list[str]:
    """Header, number/date line and subject."""
    lines = [texts.DIRECTIVE_HEADER.format(commune=escape(commune.upper()))]
    reference = []
    if content.number:
        reference.append(f"Số: {escape(content.number)}")
    if content.issued_on:
        reference.append(f"ngày {format_date(content.issued_on)}")
    if reference:
        lines.append(" · ".join(reference))
    if content.subject:
        lines.append(f"<b>V/v {escape(content.subject)}</b>")
    return lines


def _footer(content: DirectiveContent, course_url: str) -> list[str]:
    """Deadline and course link, carried by every directive."""
    lines = []
    if content.deadline:
        lines.append(texts.DIRECTIVE_DEADLINE.format(deadline=format_date(content.deadline)))
    lines.append(texts.DIRECTIVE_COURSE.format(url=escape(course_url)))
    return lines


def render_directive(content: DirectiveContent, commune: str, course_url: str) -> Rendered:
    """Lay out a directive; long bodies are split between paragraphs, never inside a tag.

    Reminders and chases are short notes to heads: no official heading, just the text.
    """
    if content.kind != "directive":
        text = f"{escape(content.body)}\n\n" + "\n".join(_footer(content, course_url))
        return Rendered(None, None, split_for_telegram([text], MAX_TEXT))
    heading = "\n".join(_heading(content, commune))
    footer = "\n".join(_footer(content, course_url))
    paragraphs = [escape(p.strip()) for p in content.body.split("\n\n") if p.strip()]
    caption = None
    if content.document_file_id:
        caption = heading if len(heading) <= MAX_CAPTION else heading[:MAX_CAPTION]
        first = [texts.DIRECTIVE_ATTACHMENT]
    else:
        first = [heading]
    # Reserve room for the "(tiếp theo i/n)" marker added to later parts.
    chunks = split_for_telegram([*first, *paragraphs, footer], MAX_TEXT - 40, separator="\n\n")
    total = len(chunks)
    parts = [
        chunk
        if index == 0
        else f"{texts.DIRECTIVE_PART.format(index=index + 1, total=total)}\n{chunk}"
        for index, chunk in enumerate(chunks)
    ]
    return Rendered(content.document_file_id, caption, parts)
