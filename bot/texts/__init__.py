"""The one text catalog (gettext, Vietnamese by default, English complete) and its formats."""

from bot.texts.catalog import (
    DEFAULT_LANGUAGE,
    N_,
    Html,
    Translator,
    available_languages,
    translator,
)

__all__ = ["DEFAULT_LANGUAGE", "N_", "Html", "Translator", "available_languages", "translator"]
