"""The token never reaches the logs, even at DEBUG."""

from __future__ import annotations

import logging

import pytest

from bot.app import build_application, polling
from bot.cli.logging_setup import configure_logging
from bot.sandbox.client import SandboxClient
from tests.conftest import SettingsFactory


async def test_debug_run_never_logs_the_token(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(log_level="DEBUG")
    assert settings.telegram_bot_token is not None
    token = settings.telegram_bot_token.get_secret_value()
    configure_logging("DEBUG", settings.telegram_bot_token)
    try:
        application = build_application(settings)
        async with polling(application):
            await client.converse(1234, "/start")
            logging.getLogger("test").info("leak attempt %s", token)
    finally:
        configure_logging("WARNING", None)
    output = capsys.readouterr()
    assert "getUpdates" in output.err, "DEBUG logging did not run"
    assert token not in output.err and token not in output.out
    assert "***" in output.err
    # However the settings are printed or serialised, the token does not show.
    assert token not in repr(settings) and token not in str(settings.model_dump())
    assert token not in settings.model_dump_json()
    assert logging.getLogger("httpx").level == logging.WARNING
