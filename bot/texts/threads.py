"""How threads read: a unit's message to officers, an officer's answer, /phanhoi, the export."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.services.broadcasts.content import DirectiveContent
from bot.services.threads.threads import LastMessage, OpenThreads, ThreadView
from bot.texts.catalog import N_, Html, Translator
from models import MessageKind, ThreadMessageKind, ThreadSide, ThreadStatus

# How much of a message lists and quotes show.
EXCERPT = 160
QUOTE = 100

ICONS = {
    ThreadMessageKind.NOTE: "✍️",
    ThreadMessageKind.PHOTO: "📷",
    ThreadMessageKind.DOCUMENT: "📎",
    ThreadMessageKind.TEXT: "💬",
    ThreadMessageKind.VOICE: "🎙",
    ThreadMessageKind.FLAG: "🚩",
}
# A photo or document sent without words: what stands in for the text, under the photo
# itself (messages), or on its own (lists, the export).
BELOW_FILE = {
    ThreadMessageKind.PHOTO: N_("thread.photo_only"),
    ThreadMessageKind.DOCUMENT: N_("thread.document_only"),
    ThreadMessageKind.VOICE: N_("thread.voice_only"),
}
NO_TEXT = {
    ThreadMessageKind.PHOTO: N_("thread.photo_short"),
    ThreadMessageKind.DOCUMENT: N_("thread.document_short"),
    ThreadMessageKind.VOICE: N_("thread.voice_short"),
}
# The export's "Loại" column.
LABELS = {
    (ThreadSide.UNIT, ThreadMessageKind.NOTE): N_("thread.label.note"),
    (ThreadSide.UNIT, ThreadMessageKind.PHOTO): N_("thread.label.photo"),
    (ThreadSide.UNIT, ThreadMessageKind.DOCUMENT): N_("thread.label.document"),
    (ThreadSide.UNIT, ThreadMessageKind.TEXT): N_("thread.label.unit_answer"),
    (ThreadSide.UNIT, ThreadMessageKind.VOICE): N_("thread.label.voice"),
    (ThreadSide.UNIT, ThreadMessageKind.FLAG): N_("thread.label.flag"),
}
COMMUNE_LABEL = N_("thread.label.commune_answer")
STATUSES = {
    ThreadStatus.OPEN: N_("thread.status.open"),
    ThreadStatus.RESOLVED: N_("thread.status.resolved"),
}
# Outbox messages of threads (their templates are named by bot/services/threads).
THREAD_KINDS = (MessageKind.FEEDBACK, MessageKind.ANSWER)


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word, with "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip() + "…"


def _words(
    t: Translator,
    kind: ThreadMessageKind,
    text: str | None,
    stand_ins: dict[ThreadMessageKind, str],
) -> str:
    """The message's words, or what stands in for a photo or document sent without any."""
    if text:
        return text
    key = stand_ins.get(kind)
    return t.plain(key) if key else ""


def thread_message_html(t: Translator, content: DirectiveContent) -> Html:
    """A thread's outbox message in one reader's language (officers' copy, or the unit's)."""
    kind = ThreadMessageKind.TEXT
    if content.photo_file_ids:
        kind = ThreadMessageKind.PHOTO
    elif content.document_file_id:
        kind = ThreadMessageKind.DOCUMENT
    elif content.voice_file_id:
        kind = ThreadMessageKind.VOICE
    params = content.body_params
    lines: list[str] = []
    if content.kind == MessageKind.ANSWER:
        lines.append(t("thread.unit.answer", text=_words(t, kind, content.body, BELOW_FILE)))
        if params.get("quote"):
            lines.append(t("thread.unit.about", quote=shorten(str(params["quote"]), QUOTE)))
        return Html("\n".join(lines))
    assert content.body_key is not None
    lines.append(
        t(
            content.body_key,
            unit=str(params.get("unit", "")),
            period=str(params.get("period", "")),
            author=str(params.get("author", "")),
        )
    )
    if len(content.photo_file_ids) > 1:
        lines.append(t("thread.album", count=len(content.photo_file_ids)))
    # Officers see the photo itself just above: only words the unit wrote are added.
    if content.body:
        lines.append(t("thread.text", text=content.body))
    return Html("\n".join(lines))


def last_line(t: Translator, message: LastMessage, tz: ZoneInfo) -> Html:
    """One message in a list: icon, who (an officer is marked so), when, and its words."""
    author = message.author_name or t.plain("late.unnamed")
    if message.side == ThreadSide.COMMUNE:
        author = t.plain("thread.by_commune", author=author)
    return t(
        "thread.line",
        icon=ICONS[message.kind],
        author=author,
        when=t.datetime(message.created_at, tz),
        text=shorten(_words(t, message.kind, message.text, NO_TEXT), EXCERPT),
    )


def open_threads_text(t: Translator, found: OpenThreads, tz: ZoneInfo) -> Html:
    """/phanhoi: the open threads, numbered as their buttons are."""
    if not found.threads:
        return t("threads.none")
    lines: list[str] = [t("threads.header", total=found.total)]
    for number, view in enumerate(found.threads, start=1):
        lines += [
            "",
            t("threads.item", number=number, unit=view.unit_name, messages=view.messages),
            last_line(t, view.last, tz),
        ]
    hidden = found.total - len(found.threads)
    if hidden > 0:
        lines += ["", t("threads.more", count=hidden)]
    return Html("\n".join(lines))


def ask_text(t: Translator, view: ThreadView, side: ThreadSide, tz: ZoneInfo) -> Html:
    """The question after "↩️ Trả lời": to whom, what is answered, and how to stop."""
    if side == ThreadSide.UNIT:
        return t("thread.ask_unit")
    quoted = view.last_from_unit or view.last
    return t("thread.ask_commune", unit=view.unit_name, last=last_line(t, quoted, tz))


def label_of(t: Translator, side: ThreadSide, kind: ThreadMessageKind) -> str:
    """The export's "Loại" of a message."""
    if side == ThreadSide.COMMUNE:
        return t.plain(COMMUNE_LABEL)
    return t.plain(LABELS[(side, kind)])


def status_label(t: Translator, status: ThreadStatus) -> str:
    """A thread's status as the export writes it."""
    return t.plain(STATUSES[status])


def words_of(t: Translator, kind: ThreadMessageKind, text: str | None) -> str:
    """The export's "Nội dung" of a message (a photo without caption says so)."""
    return _words(t, kind, text, NO_TEXT)
