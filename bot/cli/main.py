"""The `binhdan` command line: run, demo, database, units, invites and roles."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot import settings as setting_checks
from bot.cli.errors import CliError
from bot.cli.logging_setup import redact
from bot.settings import Settings
from bot.texts import N_, translator

EXIT_BAD_INPUT = 2
EXIT_UNEXPECTED = 1
MAX_REASON = 300

logger = logging.getLogger("binhdan")

# Our own validation problems (bot/settings.py), each one catalog line.
SETTING_PROBLEMS = {
    setting_checks.CLOCK_TIME: N_("cli.setting_clock_time"),
    setting_checks.TIME_RANGE: N_("cli.setting_time_range"),
    setting_checks.TIME_ZONE: N_("cli.setting_time_zone"),
    setting_checks.LOG_LEVEL: N_("cli.setting_log_level"),
    setting_checks.DATABASE_URL: N_("cli.setting_database_url"),
    setting_checks.DATABASE_FOLDER: N_("cli.setting_database_folder"),
    setting_checks.DATABASE_FILE: N_("cli.setting_database_file"),
    setting_checks.ADMIN_ID: N_("cli.setting_admin_id"),
    setting_checks.WEBHOOK_URL: N_("cli.setting_webhook_url"),
    setting_checks.WEBHOOK_SECRET: N_("cli.setting_webhook_secret"),
    setting_checks.WEBHOOK_LISTEN: N_("cli.setting_webhook_listen"),
    setting_checks.LEASE: N_("cli.setting_lease"),
    # pydantic's own checks of numbers.
    **dict.fromkeys(
        (
            "finite_number",
            "greater_than",
            "greater_than_equal",
            "less_than",
            "less_than_equal",
            "int_parsing",
            "float_parsing",
            "bool_parsing",
        ),
        N_("cli.setting_bad_number"),
    ),
}


def load_settings() -> Settings:
    """Read settings, turning validation errors into one readable line."""
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]).upper() or "settings"
        key = SETTING_PROBLEMS.get(first["type"])
        if key is None:
            problem = redact(first["msg"])
        else:
            shown = (first.get("ctx") or {}).get("value", first.get("input", ""))
            value = redact(str(shown))
            problem = translator().plain(key, value=value)
        raise CliError(N_("cli.bad_setting"), field=field, problem=problem) from None
    redact.add(*settings.secrets())
    return settings


def one_line(error: BaseException) -> str:
    """An exception as one redacted line, for messages built from library errors."""
    text = " ".join(str(error).split()) or type(error).__name__
    return redact(text)[:MAX_REASON]


def _run_async(coroutine: Coroutine[Any, Any, int]) -> int:
    """Run a coroutine to completion and return its exit status."""
    return asyncio.run(coroutine)


def build_parser() -> argparse.ArgumentParser:
    """Describe every sub-command of the contract."""
    parser = argparse.ArgumentParser(
        prog="binhdan", description=translator().plain("cli.description")
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="migrate, then lead (poll or set the webhook) or stand by; webhook: receive"
    )
    demo = commands.add_parser("demo", help="run the whole loop offline on the sandbox")
    demo.add_argument("--out", type=Path, default=Path("demo-output"))
    demo.add_argument(
        "--province",
        action="store_true",
        help="three communes, their officers and a province officer",
    )
    play = commands.add_parser("play", help="the browser playground: the bot on the sandbox")
    play.add_argument("--port", type=int, default=8080)
    play.add_argument("--host", default="127.0.0.1", help="127.0.0.1 unless a phone must reach it")
    play.add_argument("--db", type=Path, help="keep the playground's database in this file")
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations up to head")
    db_backup = db_commands.add_parser("backup", help="a consistent online copy")
    db_backup.add_argument("file", type=Path)
    db_restore = db_commands.add_parser("restore", help="restore a copy (bot must be stopped)")
    db_restore.add_argument("file", type=Path)
    units = commands.add_parser("units", help="the unit list")
    unit_commands = units.add_subparsers(dest="units_command", required=True)
    unit_import = unit_commands.add_parser("import", help="import a CSV or XLSX unit list")
    unit_import.add_argument("file", type=Path)
    unit_list = unit_commands.add_parser("list", help="one unit per line")
    unit_merge = unit_commands.add_parser(
        "merge", help="merge unit OLD into NEW (people and figures move, OLD is archived)"
    )
    unit_merge.add_argument("old", help="the code of the unit that ends")
    unit_merge.add_argument("new", help="the code of the unit that continues")
    unit_merge.add_argument("--yes", action="store_true", help="do not ask (for scripts)")
    audit = commands.add_parser("audit", help="who changed what, and when")
    audit.add_argument("--since", help="from this day on (dd/mm/yyyy or yyyy-mm-dd)")
    users = commands.add_parser("users", help="the people with a role")
    user_commands = users.add_subparsers(dest="users_command", required=True)
    user_list = user_commands.add_parser("list", help="everyone with a role, by role and unit")
    invites = commands.add_parser("invites", help="invite codes and links")
    output = invites.add_mutually_exclusive_group(required=True)
    output.add_argument(
        "--csv", action="store_true", help="print unit_code,unit_name,invite_code,link"
    )
    output.add_argument("--pdf", type=Path, metavar="FILE", help="an A4 sheet of QR invites")
    export = commands.add_parser("export", help="the progress report as XLSX or PDF")
    export.add_argument("file", type=Path)
    commend = commands.add_parser("commend", help="the printable commendation list (PDF)")
    commend.add_argument("file", type=Path)
    commend.add_argument(
        "--period",
        default="current",
        help="current | previous | a period key (2026-W48, 2026-11) | a day dd/mm/yyyy",
    )
    broadcast = commands.add_parser("broadcast", help="queue a directive from a text file")
    broadcast.add_argument("file", type=Path)
    broadcast.add_argument("--to", default="all", help="all | thon | co_quan | CODE,CODE,…")
    schedules = commands.add_parser("schedules", help="the schedules")
    schedule_commands = schedules.add_subparsers(dest="schedules_command", required=True)
    schedule_list = schedule_commands.add_parser(
        "list", help="each schedule with its next firing time"
    )
    webhook = commands.add_parser("webhook", help="the Telegram webhook, by hand")
    webhook_commands = webhook.add_subparsers(dest="webhook_command", required=True)
    webhook_commands.add_parser("set", help="point Telegram at WEBHOOK_URL with WEBHOOK_SECRET")
    webhook_commands.add_parser("delete", help="remove the webhook (back to long polling)")
    webhook_commands.add_parser("info", help="the webhook Telegram has, and its last error")
    grant = commands.add_parser("grant", help="grant a role")
    grant.add_argument("user_id")
    grant.add_argument("role", choices=["admin", "officer"])
    grant.add_argument(
        "--commune",
        metavar="CODE",
        help="an officer's scope in a province: a commune's 5-digit code, or 'tinh' (province)",
    )
    revoke = commands.add_parser("revoke", help="take every role away from a user")
    revoke.add_argument("user_id")
    # A commune officer's view of the shell: these read (or queue) for one commune only.
    for scoped in (unit_list, user_list, invites, export, commend, broadcast, schedule_list):
        scoped.add_argument(
            "--commune",
            dest="scope_commune",
            metavar="CODE",
            help="in a province: this commune only (its 5-digit code)",
        )
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    """Call the function behind the chosen sub-command."""
    from bot.cli import commands as impl

    table: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
        "run": impl.cmd_run,
        "demo": impl.cmd_demo,
        "play": impl.cmd_play,
        "db": impl.cmd_db,
        "units": impl.cmd_units,
        "users": impl.cmd_users,
        "audit": impl.cmd_audit,
        "invites": impl.cmd_invites,
        "grant": impl.cmd_grant,
        "revoke": impl.cmd_revoke,
        "broadcast": impl.cmd_broadcast,
        "export": impl.cmd_export,
        "commend": impl.cmd_commend,
        "schedules": impl.cmd_schedules,
        "webhook": impl.cmd_webhook,
    }
    settings = impl.narrowed(args, load_settings())
    return table[args.command](args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `binhdan` console script."""
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except CliError as error:
        message = translator().plain(error.key, **error.values)
        print(f"binhdan: {redact(message)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        # One redacted line, never a traceback that could carry the token.
        logger.debug("Command failed", exc_info=True)  # redacted by the log formatter
        key = _problem_of(error)
        if key is None:
            _print_line(N_("cli.unexpected"), kind=type(error).__name__, reason=one_line(error))
            return EXIT_UNEXPECTED
        _print_line(key, reason=one_line(getattr(error, "orig", None) or error))
        return EXIT_BAD_INPUT


def _problem_of(error: Exception) -> str | None:
    """The catalog line for a failure the operator can fix (exit 2), or None for a bug."""
    import sqlite3

    import asyncpg
    from alembic.util import CommandError

    database = (SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError, sqlite3.Error)
    if isinstance(error, database):
        # A database that cannot be opened, migrated or written: a setting to fix, not a bug.
        return N_("cli.database_error")
    if isinstance(error, CommandError):
        return N_("cli.database_revision")  # a database left by another version
    if isinstance(error, UnicodeDecodeError):
        return N_("cli.not_utf8")  # a .env or a file saved in another encoding
    if isinstance(error, OSError):
        return N_("cli.os_error")  # a path, a full disk, a server that does not answer
    return None


def _print_line(key: str, **values: object) -> None:
    """Print one catalog line on standard error, redacted."""
    print(f"binhdan: {redact(translator().plain(key, **values))}", file=sys.stderr)
