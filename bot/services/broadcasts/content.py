"""What a directive (or a reminder, chase or digest) says, before it is laid out for Telegram."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from models import MessageKind


@dataclass(frozen=True)
class DirectiveContent:
    """The fields that make up a message of the outbox.

    Officers' directives carry their own text in `body`. Messages the bot writes itself carry a
    catalog key and its values instead, so each recipient reads them in their own language.
    """

    subject: str
    body: str
    kind: str = "directive"
    number: str | None = None
    issued_on: date | None = None
    deadline: date | None = None
    document_file_id: str | None = None
    document_name: str | None = None
    body_key: str | None = None
    body_params: dict[str, Any] = field(default_factory=dict)
    # "text" (shown as typed) or "markdown" (a file's formatting, rendered for Telegram).
    body_format: str = "text"
    # Telegram file ids of photos sent before the text (an album when there are several).
    photo_file_ids: tuple[str, ...] = ()
    # A voice note sent before the text (a head's, forwarded to the officers).
    voice_file_id: str | None = None
    # Extra button rows under the message: (catalog key of the label, callback data) each,
    # labelled in each recipient's language (e.g. "↩️ Trả lời" on a note sent to officers).
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    # Who speaks in a province: the sending commune's name (None: COMMUNE_NAME, as in a
    # one-commune deployment), or the province itself for a province officer's directive.
    issuer: str | None = None
    provincial: bool = False

    @classmethod
    def notice(cls, key: str, params: dict[str, Any]) -> DirectiveContent:
        """A short note the bot writes itself, rendered in each reader's language."""
        return cls(
            subject="", body="", kind=MessageKind.NOTICE.value, body_key=key, body_params=params
        )
