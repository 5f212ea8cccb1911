"""The bodies of the `binhdan` sub-commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import ctypes
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import make_url
from telegram import Bot
from telegram.error import TelegramError

from bot.errors import CliError
from bot.formatting import format_local_datetime
from bot.logging_setup import configure_logging
from bot.migrate import ensure_head, upgrade_to_head
from bot.services.audience import Audience, AudienceError, unknown_codes
from bot.services.backup import (
    BackupError,
    backup_database,
    restore_database,
    running_lock,
    sqlite_path,
)
from bot.services.contacts import grant_role
from bot.services.directive_file import DirectiveFileError, parse_directive_file
from bot.services.directives import create_directive
from bot.services.directory import unit_directory
from bot.services.export_data import progress_workbook
from bot.services.invite_sheet import invite_sheet_pdf
from bot.services.invites import current_unit_invites, deep_link
from bot.services.schedule_rules import parse_rule
from bot.services.schedules import last_runs, plan
from bot.services.unit_import import UnitFileError
from bot.services.units import import_units_file
from bot.settings import Settings
from models import Role, Schedule, ScheduleRun
from models.db import make_engine, make_session_factory

M_ARENA_MAX = -8


def limit_malloc_arenas() -> None:
    """Cap glibc's per-thread malloc arenas: each SQLite worker thread would otherwise get one.

    On a small commune PC this keeps the idle bot tens of MB lighter; elsewhere it is a no-op.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, 2)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate, then poll Telegram until interrupted."""
    if settings.telegram_bot_token is None:
        raise CliError("TELEGRAM_BOT_TOKEN chưa được đặt (xem .env.example).")
    configure_logging(settings.log_level, settings.telegram_bot_token)
    limit_malloc_arenas()
    ensure_head(settings.database_url)
    from bot.app import build_application

    with contextlib.ExitStack() as stack:
        if make_url(settings.database_url).get_backend_name() == "sqlite":
            # Held while polling: a restore is refused, and a second bot on the same file too.
            try:
                stack.enter_context(running_lock(sqlite_path(settings.database_url)))
            except BackupError as error:
                raise CliError(str(error)) from None
        build_application(settings).run_polling(drop_pending_updates=False)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Play the whole loop offline on the sandbox."""
    from bot.demo import run_demo

    args.out.mkdir(parents=True, exist_ok=True)
    status = asyncio.run(run_demo(args.out))
    written = sorted(path.name for path in args.out.iterdir())
    if written:
        print(f"Các tệp đã tạo trong {args.out}/: " + ", ".join(written))
    return status


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    """Database maintenance: upgrade, backup, restore."""
    try:
        if args.db_command == "backup":
            size = backup_database(settings.database_url, args.file)
            print(f"Đã sao lưu vào {args.file} ({size}).")
            return 0
        if args.db_command == "restore":
            restore_database(args.file, settings.database_url)
            upgrade_to_head(settings.database_url)
            print(f"Đã khôi phục từ {args.file}.")
            return 0
    except BackupError as error:
        raise CliError(str(error)) from None
    upgrade_to_head(settings.database_url)
    print("Cơ sở dữ liệu đã được cập nhật lên phiên bản mới nhất.")
    return 0


def cmd_units(args: argparse.Namespace, settings: Settings) -> int:
    """Import or list units."""
    upgrade_to_head(settings.database_url)
    if args.units_command == "import":
        return asyncio.run(_import_units(settings, args))
    return asyncio.run(_list_units(settings))


async def _import_units(settings: Settings, args: argparse.Namespace) -> int:
    """Import a unit file atomically."""
    if not args.file.is_file():
        raise CliError(f"Không tìm thấy tệp {args.file}")
    engine = make_engine(settings.database_url)
    try:
        result = await import_units_file(make_session_factory(engine), args.file)
    except UnitFileError as error:
        raise CliError(f"Tệp bị từ chối, không có gì thay đổi — {error}") from None
    finally:
        await engine.dispose()
    print(f"Đã nhập: {result.created} đơn vị mới, {result.updated} đơn vị cập nhật.")
    return 0


async def _list_units(settings: Settings) -> int:
    """Print one unit per line."""
    engine = make_engine(settings.database_url)
    try:
        async with make_session_factory(engine)() as session:
            lines = await unit_directory(session)
    finally:
        await engine.dispose()
    for line in lines:
        adults = "" if line.adults is None else str(line.adults)
        print(f"{line.code}\t{line.name}\t{line.kind.value}\t{adults}\t{line.contacts}")
    return 0


async def _bot_username(settings: Settings) -> str:
    """BOT_USERNAME, or ask Telegram with the token."""
    if settings.bot_username:
        return settings.bot_username.removeprefix("@")
    if settings.telegram_bot_token is None:
        raise CliError("Cần BOT_USERNAME hoặc TELEGRAM_BOT_TOKEN để tạo link mời.")
    bot = Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_base_url)
    try:
        async with bot:
            return bot.username
    except TelegramError as error:
        raise CliError(f"Không hỏi được tên bot từ Telegram: {error.message}") from None


def cmd_invites(args: argparse.Namespace, settings: Settings) -> int:
    """Print every unit's current invite as CSV, or write the printable PDF sheet."""
    upgrade_to_head(settings.database_url)
    links = asyncio.run(_invite_links(settings))
    if args.pdf is not None:
        cards = [(name, link) for _, name, _, link in links]
        args.pdf.write_bytes(invite_sheet_pdf(cards, settings.commune_name))
        print(f"Đã tạo {args.pdf} ({len(links)} đơn vị).")
        return 0
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["unit_code", "unit_name", "invite_code", "link"])
    writer.writerows(links)
    return 0


async def _invite_links(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(unit code, unit name, invite code, link) for every active unit."""
    username = await _bot_username(settings)
    engine = make_engine(settings.database_url)
    try:
        async with make_session_factory(engine).begin() as session:
            pairs = await current_unit_invites(
                session,
                datetime.now(UTC),
                max_uses=settings.invite_max_uses,
                ttl=timedelta(days=settings.invite_ttl_days),
            )
    finally:
        await engine.dispose()
    return [(u.code, u.name, i.code, deep_link(username, i.code)) for u, i in pairs]


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the XLSX progress report."""
    if args.file.suffix.lower() != ".xlsx":
        raise CliError("Tên tệp phải kết thúc bằng .xlsx")
    upgrade_to_head(settings.database_url)
    args.file.write_bytes(asyncio.run(_workbook(settings)))
    print(f"Đã xuất báo cáo: {args.file}")
    return 0


async def _workbook(settings: Settings) -> bytes:
    """Build the workbook from the database."""
    engine = make_engine(settings.database_url)
    try:
        async with make_session_factory(engine)() as session:
            return await progress_workbook(
                session,
                settings.commune_name,
                datetime.now(UTC),
                settings.tz,
                settings.report_period,
            )
    finally:
        await engine.dispose()


def cmd_grant(args: argparse.Namespace, settings: Settings) -> int:
    """Grant a role from the command line (the menu refreshes at the user's next /start)."""
    upgrade_to_head(settings.database_url)
    return asyncio.run(_grant(settings, args.user_id, Role(args.role)))


async def _grant(settings: Settings, user_id: int, role: Role) -> int:
    """Write the role change with an audit event."""
    engine = make_engine(settings.database_url)
    try:
        async with make_session_factory(engine).begin() as session:
            result = await grant_role(session, actor_user_id=None, user_id=user_id, role=role)
    finally:
        await engine.dispose()
    print(f"Người dùng {user_id}: {role.value} ({result.outcome.value}).")
    return 0


def cmd_broadcast(args: argparse.Namespace, settings: Settings) -> int:
    """Queue a directive from a file; the running bot's dispatcher delivers it."""
    if not args.file.is_file():
        raise CliError(f"Không tìm thấy tệp {args.file}")
    text = args.file.read_text(encoding="utf-8")
    upgrade_to_head(settings.database_url)
    return asyncio.run(_queue_broadcast(settings, text, args.to))


async def _queue_broadcast(settings: Settings, text: str, to: str) -> int:
    """Validate the file and the audience, then write the outbox rows."""
    now = datetime.now(UTC)
    try:
        content = parse_directive_file(text, now.astimezone(settings.tz).date())
        audience = Audience.parse(to)
    except (DirectiveFileError, AudienceError) as error:
        raise CliError(f"Không gửi được: {error}") from None
    engine = make_engine(settings.database_url)
    try:
        async with make_session_factory(engine).begin() as session:
            unknown = await unknown_codes(session, audience)
            if unknown:
                raise CliError("Không có đơn vị mã: " + ", ".join(unknown))
            directive, count = await create_directive(
                session, content, audience, actor_user_id=None, now=now
            )
            if count == 0:
                raise CliError("Chưa có ai đăng ký ở các đơn vị này; không có gì để gửi.")
    finally:
        await engine.dispose()
    print(f"Đã xếp hàng thông báo #{directive.id} cho {count} người nhận; bot đang chạy sẽ gửi.")
    return 0


def cmd_schedules(args: argparse.Namespace, settings: Settings) -> int:
    """Print each schedule with its next firing time, as /lich shows it."""
    upgrade_to_head(settings.database_url)
    return asyncio.run(_print_schedules(settings))


def _run_text(run: ScheduleRun | None, settings: Settings) -> str:
    """The last run as "dd/mm/yyyy HH:MM status"."""
    if run is None:
        return "—"
    return f"{format_local_datetime(run.fire_time, settings.tz)} {run.status.value}"


async def _print_schedules(settings: Settings) -> int:
    """One line per schedule: id, kind, rule, state, next firing, last run."""
    engine = make_engine(settings.database_url)
    now = datetime.now(UTC)
    try:
        async with make_session_factory(engine)() as session:
            schedules = list(await session.scalars(select(Schedule).order_by(Schedule.id)))
            runs = await last_runs(session)
            lines = []
            for schedule in schedules:
                _, following = await plan(session, schedule, now, settings, record_skips=False)
                run = runs.get(schedule.id)
                lines.append(
                    "\t".join(
                        [
                            str(schedule.id),
                            schedule.kind.value,
                            parse_rule(schedule.rule).describe(),
                            "bật" if schedule.enabled else "tạm dừng",
                            format_local_datetime(following.send_at, settings.tz)
                            if following
                            else "—",
                            _run_text(run, settings),
                        ]
                    )
                )
    finally:
        await engine.dispose()
    print(
        "\n".join(lines) if lines else "Chưa có lịch nào (bot tạo lịch mặc định khi chạy lần đầu)."
    )
    return 0
