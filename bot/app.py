"""The composition root: build the PTB Application and wire every resource and handler."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

import handlers
from bot.processes.leadership import Leadership
from bot.runtime import Runtime, running
from bot.services.common.batching import Coalescer
from bot.services.common.sync import process_name
from bot.services.registry.contacts import make_admins, who_are
from bot.services.registry.identity_cache import IdentityCache
from bot.services.reports.submission import ReportWriter
from bot.settings import Settings
from bot.telegram.context import BotApplication, BotContext, BotData
from bot.telegram.conversations.drafts import UserData
from bot.telegram.conversations.shared_state import SharedState
from bot.telegram.intake.evidence import EvidenceKeeper
from bot.telegram.intake.groups import GroupNotices
from bot.telegram.intake.inbox import Inbox
from bot.telegram.intake.throttle import UserThrottle
from bot.telegram.intake.update_steps import UpdateSteps
from bot.telegram.intake.updates import ChatOrderedUpdateProcessor
from bot.telegram.job_queue import DeploymentJobQueue
from bot.telegram.outbox.dispatcher import OutboxDispatcher
from bot.telegram.outbox.ratelimit import FloodRateLimiter, Limits
from bot.telegram.ui.menus import set_chat_menu, set_default_menu, set_descriptions
from bot.texts import translator
from models import Role
from models.db import open_database

logger = logging.getLogger(__name__)

# How long a send waits for a free connection (a broadcast's sends queue there).
POOL_TIMEOUT_SECONDS = 30.0


def limits_from(settings: Settings) -> Limits:
    """Translate settings into rate-limiter ceilings."""
    return Limits(
        per_second=settings.send_rate_per_second,
        chat_interval=settings.send_chat_interval_seconds,
        chat_burst=settings.send_chat_burst,
        group_per_minute=settings.send_group_per_minute,
    )


async def _post_init(application: BotApplication) -> None:
    """Start everything; if any step fails, stop what already started before raising."""
    try:
        await _start_resources(application)
    except BaseException:
        await _post_shutdown(application)
        raise


async def _start_resources(application: BotApplication) -> None:
    """Open the database, learn the bot's name, make the configured admins, set menus.

    What only the leader does (polling, the scheduler, the outbox, the evidence backlog)
    starts when this process becomes the leader (bot/runtime.py).
    """
    deps = application.bot_data
    deps.db = open_database(deps.settings.database_url)
    deps.senders = Coalescer(functools.partial(who_are, deps.db))
    await deps.inbox.attach(deps.db, application.bot, deps.settings.inbox_keep_days)
    deps.shared_state.attach(deps.db, application.user_data)
    deps.bot_username = application.bot.username
    deps.outbox = OutboxDispatcher(
        application.bot, deps.db, deps.settings, worker=deps.leadership.worker
    )
    # Reports check milestones (50 %, the target) in their own transaction; the officers'
    # line about one goes through the outbox.
    deps.report_writer = ReportWriter(
        deps.db,
        deps.settings.report_period,
        deps.settings.tz,
        target_percent=deps.settings.target_percent,
        outbox=deps.outbox,
    )
    deps.report_writer.start()
    deps.evidence = EvidenceKeeper(application.bot, deps.db, deps.settings)
    new_admins = await make_admins(deps.db, deps.settings.admin_ids)
    await set_default_menu(application.bot)
    await set_descriptions(application.bot)
    for chat_id, language in new_admins:
        await set_chat_menu(application.bot, chat_id, Role.ADMIN, translator(language))
    logger.info("Bot @%s ready", deps.bot_username)


async def _post_shutdown(application: BotApplication) -> None:
    """Finish what is in flight, then close the database; one failing step stops no other."""
    deps = application.bot_data
    for name in ("inbox", "evidence", "outbox", "report_writer", "db"):
        resource = getattr(deps, name, None)
        if resource is None:
            continue
        try:
            await (resource.close() if name == "db" else resource.stop())
        except Exception:
            logger.exception("Could not stop the %s cleanly", name)


def build_application(
    settings: Settings,
    processor_class: type[ChatOrderedUpdateProcessor] = ChatOrderedUpdateProcessor,
) -> BotApplication:
    """Build the Application for `settings`: the single place where everything is wired.

    `processor_class` lets a benchmark run an earlier way of ordering updates as its peer.
    """
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    context_types = ContextTypes(context=BotContext, bot_data=BotData, user_data=UserData)
    # The durable inbox stores every update before it is acknowledged, queues it, and is told
    # by the processor when it was processed (bot/telegram/intake/inbox.py).
    queue: asyncio.Queue[object] = asyncio.Queue()
    inbox = Inbox(queue)
    leadership = Leadership(process_name())
    shared_state = SharedState(owns=leadership.serves)
    processor = processor_class(
        settings.update_concurrency,
        UpdateSteps(leadership, inbox, shared_state),
        on_done=inbox.mark_done,
    )
    application = cast(
        BotApplication,
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        # Updates come from our own polling loop (bot/telegram/intake/polling.py) or the webhook
        # receiver (bot/telegram/intake/webhook.py): both store a batch before acknowledging it.
        .updater(None)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .context_types(context_types)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz))
        .rate_limiter(FloodRateLimiter(limits_from(settings)))
        .update_queue(queue)
        .concurrent_updates(processor)
        # A few keep-alive connections carry Telegram's ~30 msg/s comfortably; a request
        # beyond them waits in httpx's pool. A semaphore in front of it measured no gain
        # (docs/benchmarks.md, P2).
        .request(
            HTTPXRequest(
                connection_pool_size=settings.http_connections,
                pool_timeout=POOL_TIMEOUT_SECONDS,
                read_timeout=settings.http_read_timeout_seconds,
            )
        )
        .job_queue(DeploymentJobQueue())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build(),
    )
    application.bot_data.settings = settings
    application.bot_data.leadership = leadership
    application.bot_data.shared_state = shared_state
    application.bot_data.identities = IdentityCache()
    application.bot_data.group_notices = GroupNotices()
    application.bot_data.inbox = inbox
    application.bot_data.throttle = UserThrottle(settings.user_rate_per_second, settings.user_burst)
    handlers.register_all(application)
    return application


@asynccontextmanager
async def polling(application: BotApplication, poll_timeout: float = 1) -> AsyncIterator[Runtime]:
    """Run the application as its only process: the leader from the start, no election.

    Used by the demo, the tests and the benchmarks (in webhook mode it receives instead of
    polling); `binhdan run` elects its leader (bot/runtime.py `serve`).
    """
    async with running(application, elect=False, poll_timeout=poll_timeout) as runtime:
        yield runtime
