"""Logging: one format, httpx kept at WARNING, and every secret scrubbed from every path out.

One `Redactor` knows the secrets (the bot token and its secret half, the webhook secret, a
database password). The log formatter runs the *formatted* record through it, so a secret in
the message, in its arguments, in an exception's traceback (`exc_info`) or in `stack_info` is
replaced by `***`. The CLI's last-resort error line and messages built from library exceptions
(a PTB `TelegramError.message`, a SQLAlchemy error) go through the same `redact`.
"""

from __future__ import annotations

import logging
import os

from pydantic import SecretStr

QUIET_LOGGERS = ("httpx", "httpcore", "aiohttp.access", "apscheduler")
MASK = "***"
# The part of a token after "123456:" is what makes it secret; shorter strings are not masked
# on their own, or every "1" in a log line would vanish.
MIN_SECRET = 8


class Redactor:
    """The process's secrets, and the one function that hides them in any text."""

    def __init__(self) -> None:
        """Start with no secrets."""
        self._secrets: set[str] = set()

    def add(self, *values: SecretStr | str | None) -> None:
        """Remember secrets to hide (a token also hides its secret half on its own)."""
        for value in values:
            text = value.get_secret_value() if isinstance(value, SecretStr) else value
            if not text:
                continue
            self._secrets.add(text)
            _, _, tail = text.partition(":")
            if len(tail) >= MIN_SECRET:
                self._secrets.add(tail)

    def clear(self) -> None:
        """Forget every secret (tests)."""
        self._secrets.clear()

    def __call__(self, text: str) -> str:
        """Return `text` with every known secret replaced by `***` (longest first)."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text


redact = Redactor()
# A token in the environment is a secret even before the settings parse (or when they do not).
redact.add(os.environ.get("TELEGRAM_BOT_TOKEN"), os.environ.get("WEBHOOK_SECRET"))


class RedactingFormatter(logging.Formatter):
    """Format a record as usual, then scrub the whole text, traceback and stack included."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the redacted line(s)."""
        return redact(super().format(record))


class SecretScrubber(logging.Filter):
    """Scrub the message of records that reach handlers with their own formatter."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the rendered message without the secrets."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str, *secrets: SecretStr | str | None) -> None:
    """Set the root level and format; httpx logs URLs (with the token) at INFO, so cap it."""
    redact.add(*secrets)
    logging.basicConfig(level=level.upper(), force=True)
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
        handler.addFilter(SecretScrubber())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
