"""Typed dependencies for handlers and jobs: `BotData` and the `BotContext` that carries it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.outbox import OutboxDispatcher
from bot.services.contacts import Identity
from bot.services.identity_cache import IdentityCache
from bot.services.report_submission import ReportWriter
from bot.settings import Settings


class BotData:
    """What every handler may use; `settings` is set at build, the rest in post_init."""

    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    read_session_factory: async_sessionmaker[AsyncSession]
    bot_username: str
    report_writer: ReportWriter
    identities: IdentityCache
    dispatcher: OutboxDispatcher


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """The per-update context; the access gate stores the sender's identity on it."""

    def __init__(
        self,
        application: Application[ExtBot[None], BotContext, Any, Any, BotData, Any],
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


BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[BotContext]
]
