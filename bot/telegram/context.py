"""Typed dependencies for handlers and jobs: `BotData` and the `BotContext` that carries it."""

from __future__ import annotations

from typing import Any, cast

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.processes.leadership import Leadership
from bot.services.common.batching import Coalescer
from bot.services.registry.contacts import Identity
from bot.services.registry.identity_cache import IdentityCache
from bot.services.reports.submission import ReportWriter
from bot.settings import Settings
from bot.telegram.conversations.drafts import UserData
from bot.telegram.conversations.shared_state import SharedState
from bot.telegram.intake.evidence import EvidenceKeeper
from bot.telegram.intake.groups import GroupNotices
from bot.telegram.intake.inbox import Inbox
from bot.telegram.intake.throttle import UserThrottle
from bot.telegram.outbox.dispatcher import OutboxDispatcher
from bot.texts import Translator, translator
from models.db import Database


class BotData:
    """What every handler may use.

    `settings`, `identities`, `throttle`, `inbox`, `shared_state` and `leadership` are set at
    build, the rest in post_init (they need the running event loop and the bot's name).
    """

    settings: Settings
    leadership: Leadership
    shared_state: SharedState
    identities: IdentityCache
    group_notices: GroupNotices
    throttle: UserThrottle
    inbox: Inbox
    db: Database
    # Identities read from the database, for the senders the cache does not hold.
    senders: Coalescer[int, Identity]
    bot_username: str
    report_writer: ReportWriter
    outbox: OutboxDispatcher
    evidence: EvidenceKeeper


class BotContext(CallbackContext[ExtBot[None], UserData, dict[Any, Any], BotData]):
    """The per-update context; the access gate stores the sender's identity on it."""

    def __init__(
        self,
        application: Application[ExtBot[None], BotContext, UserData, Any, BotData, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        """Start with no identity; the gate fills it in before any handler runs."""
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.identity: Identity | None = None

    @property
    def deps(self) -> BotData:
        """The typed dependencies."""
        return self.bot_data

    @property
    def who(self) -> Identity:
        """The sender as the gate saw them (the gate always runs first)."""
        assert self.identity is not None, "the access gate did not run"
        return self.identity

    @property
    def t(self) -> Translator:
        """The catalog in the sender's language (the default one before the gate runs)."""
        return translator(self.identity.language if self.identity else None)

    @property
    def app(self) -> BotApplication:
        """The application, typed (PTB types it generically)."""
        return cast(BotApplication, self.application)

    @property
    def drafts(self) -> UserData:
        """The sender's conversation drafts (every update we handle has a user)."""
        assert self.user_data is not None
        return self.user_data


BotApplication = Application[
    ExtBot[None], BotContext, UserData, dict[Any, Any], BotData, JobQueue[BotContext]
]
