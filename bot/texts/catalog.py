"""The gettext catalog: one `.po` file per language, looked up by stable message keys.

Messages are keyed ("report.recorded"), not keyed by their Vietnamese text, so the Vietnamese
and the English catalogs are both complete translations and a new language (Ê Đê, say) is one
more `.po` file. Templates use `str.format` fields; values are HTML-escaped unless they are
`Html` (already rendered) or numbers (formatted the language's way).
"""

from __future__ import annotations

import gettext
import html
import io
import logging
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.services.common.keys import N_

logger = logging.getLogger(__name__)

DOMAIN = "binhdan"
LOCALES = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "vi"


class Html(str):
    """Text that is already valid Telegram HTML: inserted into templates as it is."""

    __slots__ = ()


__all__ = ["DEFAULT_LANGUAGE", "N_", "Html", "Translator", "available_languages", "translator"]


def _po_path(language: str) -> Path:
    """Where a language's catalog lives."""
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=1)
def available_languages() -> tuple[str, ...]:
    """Every language with a catalog, the default first."""
    found = sorted(p.parent.parent.name for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return tuple(sorted(found, key=lambda language: language != DEFAULT_LANGUAGE))


def _compiled(language: str) -> gettext.GNUTranslations:
    """The compiled catalog: the `.mo` built at install, or the `.po` compiled in memory."""
    po = _po_path(language)
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    # Babel is only needed when the catalog changed since `make install` compiled it.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language.replace("-", "_"))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """Messages and formats of one language; a missing entry falls back to the default."""

    def __init__(self, language: str, messages: gettext.GNUTranslations) -> None:
        """Wrap a compiled catalog."""
        self.language = language
        self._messages = messages
        self._thousands = self._template(N_("format.thousands_separator"))
        self._decimal = self._template(N_("format.decimal_separator"))

    def _template(self, key: str) -> str:
        """The raw template of a key."""
        found = self._messages.gettext(key)
        if found == key:
            logger.warning("No catalog entry %r in %s", key, self.language)
        return found

    def __call__(self, key: str, /, **values: object) -> Html:
        """Render a message for an HTML chat; plain-text values are escaped."""
        rendered = {name: self._html_value(value) for name, value in values.items()}
        return Html(self._template(key).format(**rendered))

    def plain(self, key: str, /, **values: object) -> str:
        """Render a message for plain text (files, charts, the command line)."""
        rendered = {name: self._plain_value(value) for name, value in values.items()}
        return self._template(key).format(**rendered)

    def _plain_value(self, value: object) -> str:
        """Numbers the language's way, everything else as text."""
        if isinstance(value, int) and not isinstance(value, bool):
            return self.number(value)
        return str(value)

    def _html_value(self, value: object) -> str:
        """Like `_plain_value`, escaped unless it is already HTML."""
        if isinstance(value, Html):
            return value
        return html.escape(self._plain_value(value), quote=False)

    def number(self, value: int) -> str:
        """A whole number with the language's thousands separator: 1250 → "1.250"."""
        sign = "-" if value < 0 else ""
        return sign + f"{abs(value):,}".replace(",", self._thousands)

    def percent(self, value: float, digits: int = 1) -> str:
        """A percentage with the language's decimal mark: 38.2 → "38,2%"."""
        return f"{value:.{digits}f}".replace(".", self._decimal) + "%"

    def decimal(self, value: float, digits: int = 1) -> str:
        """A decimal number with the language's decimal mark."""
        return f"{value:.{digits}f}".replace(".", self._decimal)

    @staticmethod
    def date(value: date) -> str:
        """A date as dd/mm/yyyy (the commune's convention, in every language)."""
        return value.strftime("%d/%m/%Y")

    @staticmethod
    def datetime(value: datetime, tz: ZoneInfo) -> str:
        """An aware instant in the commune's zone, as dd/mm/yyyy HH:MM."""
        return value.astimezone(tz).strftime("%d/%m/%Y %H:%M")

    def join(self, items: list[str]) -> str:
        """A list joined with the language's separator ("A, B, C")."""
        return self._template(N_("format.list_separator")).join(items)


@lru_cache(maxsize=16)
def translator(language: str | None = None) -> Translator:
    """The translator of a language (the default one for None or an unknown language)."""
    chosen = language if language in available_languages() else DEFAULT_LANGUAGE
    messages = _compiled(chosen)
    if chosen != DEFAULT_LANGUAGE:
        messages.add_fallback(_compiled(DEFAULT_LANGUAGE))
    return Translator(chosen, messages)
