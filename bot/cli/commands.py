"""The bodies of the `binhdan` sub-commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import ctypes
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import make_url
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.cli.errors import CliError
from bot.cli.logging_setup import configure_logging, redact
from bot.documents.cells import csv_text
from bot.migrate import check_writable, ensure_head, upgrade_to_head
from bot.services.broadcasts.audience import Audience, AudienceError, unknown_codes
from bot.services.broadcasts.dates import parse_vn_date
from bot.services.broadcasts.directive_file import DirectiveFileError, parse_directive_file
from bot.services.broadcasts.directives import create_directive
from bot.services.common.audit import audit_since
from bot.services.maintenance.backup import (
    BackupError,
    backup_database,
    restore_database,
    running_lock,
    sqlite_path,
)
from bot.services.recognition.commendations import Sheet, commendation_sheet, period_named
from bot.services.registry.contacts import grant, user_id_from_text
from bot.services.registry.directory import list_directory
from bot.services.registry.invites import InviteLimits, deep_link, unit_invites
from bot.services.registry.people import people_with_roles
from bot.services.registry.revoke import RevokeOutcome, revoke
from bot.services.registry.role_words import is_commune_code, split_scope
from bot.services.registry.unit_import import UnitFileError
from bot.services.registry.units import import_units_file
from bot.services.reports.periods import Period
from bot.services.schedules.schedules import schedule_views
from bot.services.stats.export_data import export_data
from bot.settings import Settings
from bot.texts import N_, translator
from bot.texts.labels import role_label
from bot.texts.maintenance import backup_problem, backup_size
from bot.texts.people import GRANT_REFUSALS, people_rows
from bot.texts.schedules import describe_rule, kind_label
from bot.texts.units import unit_file_problems
from models import Commune, Role, scope
from models.db import Database, open_database

M_ARENA_MAX = -8
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0


def say(key: str, **values: object) -> None:
    """Print one catalog message on standard output."""
    print(translator().plain(key, **values))


@contextlib.asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The database for one command, closed when the command ends."""
    db = open_database(settings.database_url)
    try:
        yield db
    finally:
        await db.close()


def narrowed(args: argparse.Namespace, settings: Settings) -> Settings:
    """`--commune CODE`: the command reads and writes that commune only (models/scope.py).

    Its reports then name the commune; an unknown code is one line and exit 2.
    """
    code = getattr(args, "scope_commune", None)
    if code is None:
        return settings
    upgrade_to_head(settings.database_url)
    commune = asyncio.run(_commune(settings, code))
    if commune is None:
        raise CliError(N_("province.unknown"), code=code)
    scope.enter(commune.id)  # asyncio.run copies it into each command's own loop
    return settings.model_copy(update={"commune_name": commune.short_name})


async def _commune(settings: Settings, code: str) -> Commune | None:
    """A commune by its code."""
    async with database(settings) as db, db.read() as session:
        found: Commune | None = await session.scalar(
            select(Commune).where(Commune.code == code.strip())
        )
        return found


def limit_malloc_arenas() -> None:
    """Cap glibc's per-thread malloc arenas: each SQLite worker thread would otherwise get one.

    On a small commune PC this keeps the idle bot tens of MB lighter; elsewhere it is a no-op.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, 2)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate, then lead (poll or set the webhook) or stand by until SIGTERM or SIGINT."""
    if settings.telegram_bot_token is None:
        raise CliError(N_("cli.no_token"))
    configure_logging(settings.log_level, *settings.secrets())
    limit_malloc_arenas()
    ensure_head(settings.database_url)
    check_writable(settings.database_url)
    from bot.app import build_application
    from bot.runtime import serve

    with contextlib.ExitStack() as stack:
        if make_url(settings.database_url).get_backend_name() == "sqlite":
            # Held (shared) while running: a restore is refused while any bot runs.
            try:
                stack.enter_context(running_lock(sqlite_path(settings.database_url), shared=True))
            except BackupError as error:
                reason = backup_problem(translator(), error)
                raise CliError(N_("cli.backup_error"), reason=reason) from None
        asyncio.run(reach_telegram(settings))
        try:
            asyncio.run(serve(build_application(settings)))
        except InvalidToken:
            raise CliError(N_("cli.token_rejected")) from None
        except NetworkError as error:
            raise CliError(N_("cli.telegram_lost"), reason=redact(error.message)) from None
    return 0


async def reach_telegram(settings: Settings, *, first_wait: float = FIRST_RETRY_SECONDS) -> None:
    """Ask the Bot API who we are, retrying a network failure `STARTUP_ATTEMPTS` times.

    A rejected token is final at once (one line, exit 2). An unreachable Bot API (the commune
    PC booted before its network) is tried again after 1, 2, 4 … 30 s, one line each time;
    after the last attempt the command exits 2 so a service manager can restart it later.
    """
    assert settings.telegram_bot_token is not None
    wait = first_wait
    for attempt in range(1, settings.startup_attempts + 1):
        bot = Bot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=settings.telegram_base_url,
            base_file_url=settings.telegram_base_file_url,
        )
        try:
            async with bot:
                return
        except InvalidToken:
            raise CliError(N_("cli.token_rejected")) from None
        except NetworkError as error:
            reason = redact(error.message)
            if attempt == settings.startup_attempts:
                raise CliError(
                    N_("cli.telegram_unreachable"), attempts=attempt, reason=reason
                ) from None
            line = translator().plain(
                "cli.telegram_retry",
                reason=reason,
                seconds=int(wait),
                attempt=attempt,
                attempts=settings.startup_attempts,
            )
            print(f"binhdan: {redact(line)}", file=sys.stderr, flush=True)
            await asyncio.sleep(wait)
            wait = min(wait * 2, MAX_RETRY_SECONDS)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Play the whole loop offline on the sandbox."""
    from bot.cli.demo import run_demo

    args.out.mkdir(parents=True, exist_ok=True)
    if args.province:
        from bot.cli.demo_province import PROVINCE_ACTS, PROVINCE_UNITS

        played = run_demo(
            args.out, PROVINCE_ACTS, units=PROVINCE_UNITS, intro=N_("demo.province.intro")
        )
    else:
        played = run_demo(args.out)
    status = asyncio.run(played)
    written = sorted(path.name for path in args.out.iterdir())
    if written:
        say("cli.demo_files", folder=args.out, files=", ".join(written))
    return status


def cmd_play(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the browser playground until interrupted."""
    from bot.playground.runner import serve

    return asyncio.run(serve(args.port, args.host, args.db))


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    """Database maintenance: upgrade, backup, restore."""
    try:
        if args.db_command == "backup":
            written = backup_database(settings.database_url, args.file)
            say("cli.backup_done", file=args.file, size=backup_size(translator(), written))
            return 0
        if args.db_command == "restore":
            restore_database(args.file, settings.database_url)
            upgrade_to_head(settings.database_url)
            say("cli.restore_done", file=args.file)
            return 0
    except BackupError as error:
        reason = backup_problem(translator(), error)
        raise CliError(N_("cli.backup_error"), reason=reason) from None
    upgrade_to_head(settings.database_url)
    say("cli.upgraded")
    return 0


def cmd_units(args: argparse.Namespace, settings: Settings) -> int:
    """Import or list units."""
    upgrade_to_head(settings.database_url)
    if args.units_command == "import":
        return asyncio.run(_import_units(settings, args))
    if args.units_command == "merge":
        return asyncio.run(_merge_units(settings, args))
    return asyncio.run(_list_units(settings))


async def _merge_units(settings: Settings, args: argparse.Namespace) -> int:
    """Merge one unit into another, after saying what it does and asking."""
    from bot.cli.merge import merge

    async with database(settings) as db:
        return await merge(db, settings, args)


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    """Print the audit log: when (local time), who, what, and its details as JSON."""
    since = None
    if args.since:
        day = _day_of(args.since, datetime.now(settings.tz).date())
        if day is None:
            raise CliError(N_("cli.bad_day"), value=args.since)
        since = datetime.combine(day, datetime.min.time(), tzinfo=settings.tz)
    upgrade_to_head(settings.database_url)
    return asyncio.run(_print_audit(settings, since))


def _day_of(text: str, today: date) -> date | None:
    """A day typed as dd/mm/yyyy (the commune's way) or yyyy-mm-dd."""
    with contextlib.suppress(ValueError):
        return date.fromisoformat(text.strip())
    return parse_vn_date(text, today)


async def _print_audit(settings: Settings, since: datetime | None) -> int:
    """One change per line, tab-separated."""
    async with database(settings) as db:
        lines = await audit_since(db, since)
    t = translator()
    for line in lines:
        actor = str(line.actor_user_id) if line.actor_user_id is not None else "—"
        details = json.dumps(line.details, ensure_ascii=False, sort_keys=True)
        print("\t".join((t.datetime(line.at, settings.tz), actor, line.action, details)))
    return 0


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    """List everyone with a role (as /nguoidung), tab-separated, a header first."""
    upgrade_to_head(settings.database_url)
    return asyncio.run(_list_users(settings))


async def _list_users(settings: Settings) -> int:
    """Print one person per line."""
    async with database(settings) as db:
        people = await people_with_roles(db)
    for row in people_rows(translator(), people, settings.tz):
        print("\t".join(row))
    return 0


async def _import_units(settings: Settings, args: argparse.Namespace) -> int:
    """Import a unit file atomically."""
    if not args.file.is_file():
        raise CliError(N_("cli.no_file"), file=args.file)
    async with database(settings) as db:
        try:
            result = await import_units_file(db, args.file)
        except UnitFileError as error:
            problems = unit_file_problems(translator(), error)
            raise CliError(N_("cli.units_refused"), problems=problems) from None
    say("cli.units_imported", created=result.created, updated=result.updated)
    return 0


async def _list_units(settings: Settings) -> int:
    """Print one unit per line."""
    async with database(settings) as db:
        lines = await list_directory(db)
    for line in lines:
        adults = "" if line.adults is None else str(line.adults)
        print(f"{line.code}\t{line.name}\t{line.kind.value}\t{adults}\t{line.contacts}")
    return 0


async def _bot_username(settings: Settings) -> str:
    """BOT_USERNAME, or ask Telegram with the token."""
    if settings.bot_username:
        return settings.bot_username.removeprefix("@")
    if settings.telegram_bot_token is None:
        raise CliError(N_("cli.no_bot_name"))
    bot = Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_base_url)
    try:
        async with bot:
            return bot.username
    except InvalidToken:
        raise CliError(N_("cli.token_rejected")) from None
    except TelegramError as error:
        raise CliError(N_("cli.telegram_error"), reason=redact(error.message)) from None


def cmd_invites(args: argparse.Namespace, settings: Settings) -> int:
    """Print every unit's current invite as CSV, or write the printable PDF sheet."""
    upgrade_to_head(settings.database_url)
    links = asyncio.run(_invite_links(settings))
    if args.pdf is not None:
        from bot.documents.invite_sheet import invite_sheet_pdf

        cards = [(name, link) for _, name, _, link in links]
        args.pdf.write_bytes(invite_sheet_pdf(cards, settings.commune_name, translator()))
        say("cli.invite_sheet_done", file=args.pdf, units=len(links))
        return 0
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["unit_code", "unit_name", "invite_code", "link"])
    # Unit codes and names come from an imported file: never let a spreadsheet run them. The
    # invite code and link are ours (a code may start with "-" and must stay as it is).
    writer.writerows(
        (csv_text(code), csv_text(name), invite, link) for code, name, invite, link in links
    )
    return 0


async def _invite_links(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(unit code, unit name, invite code, link) for every active unit."""
    username = await _bot_username(settings)
    limits = InviteLimits(settings.invite_max_uses, timedelta(days=settings.invite_ttl_days))
    async with database(settings) as db:
        invites = await unit_invites(db, datetime.now(UTC), limits)
    return [(i.unit_code, i.unit_name, i.code, deep_link(username, i.code)) for i in invites]


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the progress report as XLSX or as PDF, by the file's suffix."""
    suffix = args.file.suffix.lower()
    if suffix not in (".xlsx", ".pdf"):
        raise CliError(N_("cli.export_suffix"))
    upgrade_to_head(settings.database_url)
    args.file.write_bytes(asyncio.run(_report_file(settings, suffix)))
    say("cli.exported", file=args.file)
    return 0


async def _report_file(settings: Settings, suffix: str) -> bytes:
    """Build the workbook or the PDF from the database."""
    from bot.documents.report_pdf import report_pdf
    from bot.documents.report_table import Signatures
    from bot.documents.xlsx import build_workbook

    async with database(settings) as db:
        data = await export_data(db, datetime.now(UTC), settings.tz, settings.report_period)
    signatures = Signatures.from_settings(settings)
    build = report_pdf if suffix == ".pdf" else build_workbook
    return build(data, settings.commune_name, signatures, settings.tz, translator())


def cmd_commend(args: argparse.Namespace, settings: Settings) -> int:
    """Write the period's "Danh sách đề nghị biểu dương" as a PDF to print and sign."""
    if args.file.suffix.lower() != ".pdf":
        raise CliError(N_("cli.commend_suffix"))
    now = datetime.now(UTC)
    period = period_named(args.period, now, settings.report_period, settings.tz)
    if period is None:
        raise CliError(N_("cli.bad_period"), value=args.period)
    upgrade_to_head(settings.database_url)
    sheet = asyncio.run(_commendation_sheet(settings, period))
    if not sheet.candidates:
        raise CliError(N_("cli.commend_empty"), period=period.label)
    from bot.documents.commendation_pdf import commendation_pdf
    from bot.documents.report_table import Signatures

    pdf = commendation_pdf(
        sheet,
        commune=settings.commune_name,
        signatures=Signatures.from_settings(settings),
        top=settings.commend_top,
        tz=settings.tz,
        made_on=now.astimezone(settings.tz).date(),
        t=translator(),
    )
    args.file.write_bytes(pdf)
    say("cli.commend_done", period=period.label, units=len(sheet.candidates), file=args.file)
    return 0


async def _commendation_sheet(settings: Settings, period: Period) -> Sheet:
    """The list sent for the period, or the one the figures propose."""
    async with database(settings) as db:
        return await commendation_sheet(
            db,
            period,
            settings.tz,
            target_percent=settings.target_percent,
            top=settings.commend_top,
        )


def cmd_grant(args: argparse.Namespace, settings: Settings) -> int:
    """Grant a role from the command line (the menu refreshes at the user's next /start)."""
    user_id = user_id_from_text(str(args.user_id))
    if user_id is None:
        raise CliError(N_("cli.bad_user_id"), user_id=args.user_id)
    role, scope = Role(args.role), _scope_argument(args.commune)
    if scope is not None and role != Role.OFFICER:
        raise CliError(N_("grant.scope_for_officers"))
    upgrade_to_head(settings.database_url)
    return asyncio.run(_grant(settings, user_id, role, scope))


def _scope_argument(value: str | None) -> str | None:
    """--commune as typed: a 5-digit code or "tinh" (PROVINCE); anything else is refused."""
    if value is None:
        return None
    _, scope = split_scope(f"officer {value}")
    if scope is None or not is_commune_code(scope):
        raise CliError(N_("grant.bad_commune_code"))
    return scope


async def _grant(settings: Settings, user_id: int, role: Role, scope: str | None) -> int:
    """Write the role change with an audit event; a refusal is one line and exit 2."""
    async with database(settings) as db:
        result = await grant(db, actor_user_id=None, user_id=user_id, role=role, scope=scope)
    refusal = GRANT_REFUSALS.get(result.outcome)
    if refusal is not None:
        raise CliError(refusal)
    say("cli.granted", user_id=str(user_id), role=role.value, outcome=result.outcome.value)
    return 0


REVOKE_REASONS = {
    RevokeOutcome.UNKNOWN: N_("cli.revoke_unknown"),
    RevokeOutcome.SETTINGS_ADMIN: N_("cli.revoke_settings_admin"),
    RevokeOutcome.SELF: N_("cli.revoke_unknown"),  # the CLI acts as nobody: never itself
}


def cmd_revoke(args: argparse.Namespace, settings: Settings) -> int:
    """Take every role away from the command line (as `/phanquyen <id> bỏ`)."""
    user_id = user_id_from_text(str(args.user_id))
    if user_id is None:
        raise CliError(N_("cli.bad_user_id"), user_id=args.user_id)
    upgrade_to_head(settings.database_url)
    return asyncio.run(_revoke(settings, user_id))


async def _revoke(settings: Settings, user_id: int) -> int:
    """Write the revocation with its audit event, or say in one line why not."""
    async with database(settings) as db:
        result = await revoke(
            db, actor_user_id=None, user_id=user_id, settings_admins=settings.admin_ids
        )
    t = translator()
    if result.outcome is not RevokeOutcome.REVOKED:
        reason = t.plain(REVOKE_REASONS[result.outcome])
        raise CliError(N_("cli.revoke_refused"), user_id=str(user_id), reason=reason)
    assert result.previous is not None
    say("cli.revoked", user_id=str(user_id), role=role_label(t, result.previous))
    return 0


def cmd_broadcast(args: argparse.Namespace, settings: Settings) -> int:
    """Queue a directive from a file; the running bot's dispatcher delivers it."""
    if not args.file.is_file():
        raise CliError(N_("cli.no_file"), file=args.file)
    text = args.file.read_text(encoding="utf-8")
    upgrade_to_head(settings.database_url)
    return asyncio.run(_queue_broadcast(settings, text, args.to))


async def _queue_broadcast(settings: Settings, text: str, to: str) -> int:
    """Validate the file and the audience, then write the outbox rows."""
    now = datetime.now(UTC)
    try:
        content = parse_directive_file(text, now.astimezone(settings.tz).date())
    except DirectiveFileError as error:
        key = N_("cli.file_no_body") if error.value == "" else N_("cli.file_bad_date")
        raise CliError(key, value=error.value) from None
    try:
        audience = Audience.parse(to)
    except AudienceError:
        raise CliError(N_("cli.bad_audience"), audience=to) from None
    async with database(settings) as db, db.write() as session:
        unknown = await unknown_codes(session, audience)
        if unknown:
            raise CliError(N_("cli.unknown_units"), codes=", ".join(unknown))
        directive, count = await create_directive(
            session, content, audience, actor_user_id=None, now=now
        )
        if count == 0:
            raise CliError(N_("cli.nobody_to_send"))
    say("cli.broadcast_queued", number=str(directive.id), people=count)
    return 0


def cmd_webhook(args: argparse.Namespace, settings: Settings) -> int:
    """Set, delete or show the Telegram webhook by hand."""
    if settings.telegram_bot_token is None:
        raise CliError(N_("cli.no_token"))
    if args.webhook_command == "set" and not settings.webhook_mode:
        raise CliError(N_("cli.webhook_no_url"))
    return asyncio.run(_webhook(settings, args.webhook_command))


async def _webhook(settings: Settings, command: str) -> int:
    """Talk to the Bot API with the token; one line per answer."""
    from bot.telegram.intake.updates import ALLOWED_UPDATES

    assert settings.telegram_bot_token is not None
    bot = Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_base_url)
    try:
        async with bot:
            if command == "set":
                assert settings.webhook_secret is not None
                await bot.set_webhook(
                    url=settings.webhook_url,
                    secret_token=settings.webhook_secret.get_secret_value(),
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=False,
                )
                say("cli.webhook_set", url=settings.webhook_url)
            elif command == "delete":
                await bot.delete_webhook(drop_pending_updates=False)
                say("cli.webhook_deleted")
            else:
                info = await bot.get_webhook_info()
                _print_webhook_info(
                    info.url,
                    info.pending_update_count,
                    info.last_error_date,
                    info.last_error_message,
                    settings,
                )
    except InvalidToken:
        raise CliError(N_("cli.token_rejected")) from None
    except TelegramError as error:
        raise CliError(N_("cli.webhook_failed"), reason=redact(error.message)) from None
    return 0


def _print_webhook_info(
    url: str,
    pending: int,
    error_date: datetime | None,
    error: str | None,
    settings: Settings,
) -> None:
    """The webhook's state in a few catalog lines."""
    t = translator()
    if not url:
        say("cli.webhook_none", pending=pending)
        return
    say("cli.webhook_info", url=url, pending=pending)
    if error_date is not None:
        say(
            "cli.webhook_last_error",
            at=t.datetime(error_date, settings.tz),
            reason=redact(error or ""),
        )


def cmd_schedules(args: argparse.Namespace, settings: Settings) -> int:
    """Print each schedule with its next firing time, as /lich shows it."""
    upgrade_to_head(settings.database_url)
    return asyncio.run(_print_schedules(settings))


async def _print_schedules(settings: Settings) -> int:
    """One line per schedule: id, kind, rule, state, next firing, last run."""
    t, tz = translator(), settings.tz
    async with database(settings) as db:
        views = await schedule_views(db, datetime.now(UTC), settings)
    if not views:
        say("cli.no_schedules")
        return 0
    for view in views:
        last = (
            f"{t.datetime(view.last_run.fire_time, tz)} {view.last_run.status.value}"
            if view.last_run
            else "—"
        )
        print(
            "\t".join(
                [
                    str(view.schedule_id),
                    kind_label(t, view.kind),
                    describe_rule(t, view.rule) if view.rule else view.rule_text,
                    t.plain(N_("schedule.on") if view.enabled else N_("schedule.off")),
                    t.datetime(view.next_send, tz) if view.next_send else "—",
                    last,
                ]
            )
        )
    return 0
