"""Every failure at start is one line and exit status 2, and no path out prints a secret."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main as cli_main
from bot.cli.logging_setup import configure_logging, redact
from bot.sandbox import Sandbox
from bot.sandbox.client import SandboxClient
from bot.services.schedules.rules import parse_rule
from bot.texts import translator
from models import Schedule
from models.db import open_database
from tests.cli_helpers import run_cli

T = translator("vi")
# Shaped like a real token; the sandbox knows another one, so it answers 401.
REJECTED = "123456:AAHrejected-SECRET-part-xyz0123456789"
SECRET_HALF = REJECTED.split(":", 1)[1]


def _one_line_exit_2(result: object, *expected: str) -> str:
    returncode, stderr, stdout = (
        getattr(result, name) for name in ("returncode", "stderr", "stdout")
    )
    assert returncode == 2, stderr
    lines = [line for line in stderr.strip().splitlines() if line.startswith("binhdan:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert SECRET_HALF not in stderr + stdout
    return str(lines[0])


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("REPORT_DEADLINE_TIME", "99:99", "REPORT_DEADLINE_TIME"),
        ("QUIET_HOURS", "25:00-99:99", "QUIET_HOURS"),
        ("QUIET_HOURS", "21:00", "QUIET_HOURS"),
        ("TIMEZONE", "Mars/Base", "TIMEZONE"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("DATABASE_URL", "garbage://x", "DATABASE_URL"),
        ("DATABASE_URL", "not a url", "DATABASE_URL"),
        ("ADMIN_IDS", "12,abc", "ADMIN_IDS"),
        ("UPDATE_CONCURRENCY", "0", "UPDATE_CONCURRENCY"),
        ("SEND_RATE_PER_SECOND", "inf", "SEND_RATE_PER_SECOND"),
        ("HTTP_READ_TIMEOUT_SECONDS", "nan", "HTTP_READ_TIMEOUT_SECONDS"),
        ("TARGET_PERCENT", "0", "TARGET_PERCENT"),
    ],
)
def test_each_bad_setting_is_one_line_then_a_good_start_works(
    db_url: str, name: str, value: str, field: str
) -> None:
    env = {"DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": REJECTED, name: value}
    shown = (
        "abc"
        if name == "ADMIN_IDS"
        else value
        if name not in ("DATABASE_URL", "UPDATE_CONCURRENCY")
        else ""
    )
    _one_line_exit_2(run_cli(["run"], **env), field, shown)
    good = run_cli(["db", "upgrade"], DATABASE_URL=db_url)
    assert good.returncode == 0, good.stderr


def test_unwritable_database_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    url = f"sqlite+aiosqlite:///{blocker / 'sub' / 'bot.db'}"
    _one_line_exit_2(
        run_cli(["run"], DATABASE_URL=url, TELEGRAM_BOT_TOKEN=REJECTED), "DATABASE_URL"
    )


@pytest.mark.sqlite_only("opens the SQLite file read-only")
def test_read_only_database_is_one_line(db_url: str, tmp_path: Path) -> None:
    path = db_url.removeprefix("sqlite+aiosqlite:///")
    read_only = f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"
    result = run_cli(["run"], DATABASE_URL=read_only, TELEGRAM_BOT_TOKEN=REJECTED)
    _one_line_exit_2(result, "readonly")


async def test_rejected_token_run_is_one_line_without_the_token(
    sandbox: Sandbox, db_url: str
) -> None:
    env = {
        "DATABASE_URL": db_url,
        "TELEGRAM_BOT_TOKEN": REJECTED,
        "TELEGRAM_BASE_URL": sandbox.base_url,
        "LOG_LEVEL": "DEBUG",
    }
    result = await asyncio.to_thread(run_cli, ["run"], **env)
    line = _one_line_exit_2(result)
    assert line == "binhdan: " + T.plain("cli.token_rejected")


async def test_rejected_token_invites_csv_is_one_line_without_the_token(
    sandbox: Sandbox, db_url: str
) -> None:
    env = {
        "DATABASE_URL": db_url,
        "TELEGRAM_BOT_TOKEN": REJECTED,
        "TELEGRAM_BASE_URL": sandbox.base_url,
    }
    result = await asyncio.to_thread(run_cli, ["invites", "--csv"], **env)
    assert _one_line_exit_2(result) == "binhdan: " + T.plain("cli.token_rejected")


def test_unreachable_bot_api_retries_with_a_clear_line_then_exits_2(db_url: str) -> None:
    env = {
        "DATABASE_URL": db_url,
        "TELEGRAM_BOT_TOKEN": REJECTED,
        "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",  # nothing listens on the discard port
        "STARTUP_ATTEMPTS": "3",
    }
    result = run_cli(["run"], **env)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("binhdan:")]
    retry = T.plain("cli.telegram_retry", reason="X", seconds=1, attempt=1, attempts=3)
    assert len(lines) == 3 and lines[0].startswith("binhdan: " + retry.split("(")[0])
    assert "(lần 2/3)" in lines[1]
    assert lines[2].startswith(
        "binhdan: " + T.plain("cli.telegram_unreachable", attempts=3, reason="").split("(")[0]
    )
    assert "Traceback" not in result.stderr and SECRET_HALF not in result.stderr


def test_an_unexpected_error_is_one_redacted_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(args: object) -> int:
        raise RuntimeError(f"boom at https://api.telegram.org/bot{REJECTED}/getMe")

    redact.add(REJECTED)
    monkeypatch.setattr(cli_main, "_dispatch", explode)
    assert cli_main.main(["units", "list"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "RuntimeError" in err
    assert SECRET_HALF not in err and "***" in err


def test_log_records_are_redacted_with_their_traceback_and_stack(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", REJECTED)
    try:
        log = logging.getLogger("test.redaction")
        try:
            raise ValueError(f"The token `{REJECTED}` was rejected by the server.")
        except ValueError:
            log.exception("failed with %s", REJECTED, stack_info=True)
        log.info("only the secret half: %s", SECRET_HALF)
    finally:
        configure_logging("WARNING")
    err = capsys.readouterr().err
    assert "ValueError" in err and "Stack (most recent call last)" in err, "nothing was logged"
    assert SECRET_HALF not in err
    assert err.count("***") >= 3  # the message, the exception's text, the second record


async def test_a_good_start_after_a_bad_deadline_stores_a_real_time(
    sandbox: Sandbox, client: SandboxClient, db_url: str, tmp_path: Path
) -> None:
    """REPORT_DEADLINE_TIME=99:99 never reaches a stored schedule; the next start works."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_"))} | {
        "DATABASE_URL": db_url,
        "TELEGRAM_BOT_TOKEN": sandbox.config.token,
        "TELEGRAM_BASE_URL": sandbox.base_url,
        "TELEGRAM_BASE_FILE_URL": sandbox.base_file_url,
    }
    bad = await asyncio.to_thread(run_cli, ["run"], **env, REPORT_DEADLINE_TIME="99:99")
    _one_line_exit_2(bad, "99:99")
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env | {"REPORT_DEADLINE_TIME": "16:30"},
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            # The leader drops any webhook just before it starts polling, schedules ready.
            if await client.calls("deleteWebhook"):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the good start never polled")
    finally:
        bot.send_signal(signal.SIGINT)
        assert await bot.wait() == 0
    database = open_database(db_url)
    try:
        async with database.read() as session:
            rules = list(await session.scalars(select(Schedule.rule)))
    finally:
        await database.close()
    assert rules and all(parse_rule(rule) for rule in rules)
    assert any("16:30" in rule for rule in rules)
