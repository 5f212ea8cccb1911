"""Bot API validation the way Telegram does it: lengths, HTML entities, keyboards, button data."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_PLACEHOLDER = 64
SIMPLE_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}
ALLOWED_TAGS = frozenset({*SIMPLE_ENTITIES, "a", "span", "tg-emoji"})
INLINE_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
LINK_SCHEMES = ("http://", "https://", "tg://", "mailto:")
MENTION_URL = re.compile(r"^tg://user\?id=(\d{1,15})$")


class ApiError(Exception):
    """An error answer: HTTP status plus Telegram's description."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        """Keep the status, description and optional retry_after."""
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram sends with this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Parsed:
    """What the user sees: the plain text and its entities (offsets in UTF-16 units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Open:
    """A tag waiting for its end: where it started and what entity it makes."""

    tag: str
    start: int
    entity: dict[str, Any] | None


class _EntityParser(HTMLParser):
    """Collect plain text and entities, refusing tags Telegram does not support."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        # Not `offset`: HTMLParser uses that name for its own bookkeeping.
        self.position = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        values = {name: value or "" for name, value in attrs}
        entity = self._entity(tag, values)
        if tag == "code" and self.stack and self.stack[-1].tag == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            pre = self.stack[-1].entity
            language = values.get("class", "").removeprefix("language-")
            if pre is not None and language:
                pre["language"] = language
            entity = None
        self.stack.append(_Open(tag, self.position, entity))

    def _entity(self, tag: str, attrs: dict[str, str]) -> dict[str, Any] | None:
        """The entity a start tag opens, if any."""
        if tag in SIMPLE_ENTITIES:
            kind = SIMPLE_ENTITIES[tag]
            if tag == "blockquote" and "expandable" in attrs:
                kind = "expandable_blockquote"
            return {"type": kind}
        if tag == "span":
            return {"type": "spoiler"} if attrs.get("class") == "tg-spoiler" else None
        if tag == "tg-emoji":
            return {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id", "")}
        href = attrs.get("href", "").strip()
        mention = MENTION_URL.match(href)
        if mention:
            return {"type": "text_mention", "user": {"id": int(mention.group(1))}}
        if href.startswith(LINK_SCHEMES):
            return {"type": "text_link", "url": href}
        return None

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1].tag != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unexpected end tag "{tag}"')
        opened = self.stack.pop()
        length = self.position - opened.start
        if opened.entity is not None and length > 0:
            self.entities.append({**opened.entity, "offset": opened.start, "length": length})

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.position += utf16_len(data)


def parse_html(text: str) -> Parsed:
    """Parse Telegram HTML into plain text and entities, refusing what Telegram refuses."""
    parser = _EntityParser()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise ApiError(400, "Bad Request: can't parse entities: unclosed start tag")
    # Telegram lists entities by offset; an outer entity comes before one nested in it.
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return Parsed("".join(parser.parts), entities)


def parse_text(text: str, parse_mode: str | None) -> Parsed:
    """Return what the user sees: HTML parsed (and checked) when parse_mode is HTML."""
    if (parse_mode or "").upper() != "HTML":
        return Parsed(text)
    return parse_html(text)


def plain_text(text: str, parse_mode: str | None) -> str:
    """Return only the plain text a formatted message shows."""
    return parse_text(text, parse_mode).text


def check_text(text: str | None, parse_mode: str | None) -> Parsed:
    """Validate a message text and return its parsed form."""
    if not text or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    parsed = parse_text(text, parse_mode)
    if len(parsed.text) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    return parsed


def check_caption(caption: str | None, parse_mode: str | None) -> Parsed | None:
    """Validate an optional caption and return its parsed form."""
    if not caption:
        return None
    parsed = parse_text(caption, parse_mode)
    if len(parsed.text) > MAX_CAPTION:
        raise ApiError(400, "Bad Request: message caption is too long")
    return parsed


def _rows(raw: Any, name: str) -> list[list[Any]]:
    """A keyboard must be an array of arrays of buttons."""
    if not isinstance(raw, list) or not all(isinstance(row, list) for row in raw):
        raise ApiError(400, f'Bad Request: field "{name}" of the keyboard must be an Array')
    return raw


def _check_inline(markup: dict[str, Any]) -> None:
    """Each inline button has a label and exactly one action; callback data is 1–64 bytes."""
    for row in _rows(markup["inline_keyboard"], "inline_keyboard"):
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text") or "").strip():
                raise ApiError(
                    400, "Bad Request: can't parse inline keyboard button: Text is empty"
                )
            actions = INLINE_ACTIONS.intersection(button)
            if not actions:
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard",
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not str(url).startswith(LINK_SCHEMES):
                raise ApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid")


def _check_placeholder(markup: dict[str, Any]) -> None:
    """input_field_placeholder is 1–64 characters when given."""
    placeholder = markup.get("input_field_placeholder")
    if placeholder is not None and not 1 <= len(str(placeholder)) <= MAX_PLACEHOLDER:
        raise ApiError(400, "Bad Request: can't parse input field placeholder: wrong length")


def _check_reply_keyboard(markup: dict[str, Any]) -> None:
    """Reply keyboard buttons are strings or objects with a non-empty text."""
    for row in _rows(markup["keyboard"], "keyboard"):
        for button in row:
            text = button if isinstance(button, str) else (button or {}).get("text")
            if not isinstance(text, str) or not text.strip():
                raise ApiError(400, "Bad Request: can't parse keyboard button: Text is empty")
    _check_placeholder(markup)


def parse_markup(raw: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Decode reply_markup (a JSON string in form data) and check it as Telegram does.

    Accepted: InlineKeyboardMarkup, and (except where only inline keyboards make sense, such
    as edits) ReplyKeyboardMarkup, ReplyKeyboardRemove and ForceReply.
    """
    if raw in (None, ""):
        return None
    try:
        markup = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: object expected as reply markup")
    if "inline_keyboard" in markup:
        _check_inline(markup)
    elif inline_only:
        raise ApiError(400, "Bad Request: inline keyboard expected")
    elif "keyboard" in markup:
        _check_reply_keyboard(markup)
    elif markup.get("remove_keyboard") is True:
        pass
    elif markup.get("force_reply") is True:
        _check_placeholder(markup)
    else:
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    return markup


def inline_part(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a Message object carries: Telegram returns only inline keyboards."""
    return markup if markup is not None and "inline_keyboard" in markup else None
