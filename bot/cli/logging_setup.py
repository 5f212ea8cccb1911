"""Logging: one format, httpx kept at WARNING, and the token scrubbed from every record."""

from __future__ import annotations

import logging

from pydantic import SecretStr

QUIET_LOGGERS = ("httpx", "httpcore", "aiohttp.access", "apscheduler")


class SecretScrubber(logging.Filter):
    """Replace the token wherever it would appear, as a second line of defence."""

    def __init__(self, secret: str) -> None:
        """Remember the secret to hide."""
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the rendered message without the secret."""
        if self.secret:
            message = record.getMessage()
            if self.secret in message:
                record.msg = message.replace(self.secret, "***")
                record.args = None
        return True


def configure_logging(level: str, token: SecretStr | None) -> None:
    """Set the root level and format; httpx logs URLs (with the token) at INFO, so cap it."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if token is not None:
        scrubber = SecretScrubber(token.get_secret_value())
        for handler in logging.getLogger().handlers:
            handler.addFilter(scrubber)
