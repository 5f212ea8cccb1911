"""Run the playground: the sandbox, the real bot on it, and the page.

This is the one module that knows the bot's internals (how the Application is built and
polled, the database preparation, the schedules and outbox tables, `run_now`). Everything
else in the playground speaks only HTTP to the sandbox, so a refactoring of the bot needs
changes here alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import build_application, polling
from bot.migrate import upgrade_to_head_async
from bot.playground.web import Person, Playground, add_routes
from bot.sandbox import Sandbox, SandboxConfig
from bot.sandbox.client import SandboxClient
from bot.services.registry.units import import_units_file
from bot.services.schedules.schedules import schedule_views
from bot.settings import Settings
from bot.telegram.context import BotApplication
from bot.texts import translator
from bot.texts.schedules import describe_rule, kind_label
from models import Delivery, Directive
from models.base import utcnow
from models.db import open_database
from scheduler.jobs import run_now

logger = logging.getLogger(__name__)
SAMPLE_UNITS = Path(__file__).resolve().parents[2] / "data" / "units.sample.csv"
ADMIN = Person(900_001, "Quản trị viên", "admin")
OFFICER = Person(900_002, "Cán bộ VHXH", "officer")
HEADS = [
    Person(910_001, "Trưởng Thôn 1", "head", "T01"),
    Person(910_002, "Trưởng Thôn 2", "head", "T02"),
    Person(910_003, "Trưởng Thôn 3", "head", "T03"),
]
STRANGER = Person(990_001, "Người lạ", "stranger")
START_LINK = re.compile(r"\?start=([A-Za-z0-9_-]+)")
RECENT_DELIVERIES = 15


class RunnerHooks:
    """The training panel's view of the bot: schedules, firing one now, the outbox."""

    def __init__(self, application: BotApplication) -> None:
        """Keep the running application."""
        self.application = application

    async def schedules(self) -> list[dict[str, Any]]:
        """Every schedule, read-only."""
        deps = self.application.bot_data
        t = translator()
        views = await schedule_views(deps.db, utcnow(), deps.settings)
        return [
            {
                "id": view.schedule_id,
                "kind": view.kind.value,
                "label": kind_label(t, view.kind),
                "rule": describe_rule(t, view.rule) if view.rule else view.rule_text,
                "enabled": view.enabled,
            }
            for view in views
        ]

    async def run_schedule(self, schedule_id: int) -> int | None:
        """Fire a schedule as "▶ Chạy ngay" does."""
        return await run_now(self.application, schedule_id)

    async def outbox(self) -> dict[str, Any]:
        """Delivery counts by status, and the latest deliveries with their directive."""
        async with self.application.bot_data.db.read() as session:
            counts = await session.execute(
                select(Delivery.status, func.count()).group_by(Delivery.status)
            )
            recent = await session.execute(
                select(Delivery, Directive.kind, Directive.subject)
                .join(Directive, Directive.id == Delivery.directive_id)
                .order_by(Delivery.id.desc())
                .limit(RECENT_DELIVERIES)
            )
            return {
                "counts": {status.value: count for status, count in counts.all()},
                "recent": [
                    {
                        "id": delivery.id,
                        "chat_id": delivery.chat_id,
                        "status": delivery.status.value,
                        "attempts": delivery.attempts,
                        "kind": kind.value,
                        "subject": subject,
                        "last_error": delivery.last_error,
                    }
                    for delivery, kind, subject in recent.all()
                ],
            }


@dataclass
class RunningPlayground:
    """A playground that is up: its address and its parts."""

    url: str
    sandbox: Sandbox
    playground: Playground
    application: BotApplication


def settings_for(sandbox: Sandbox, database_url: str) -> Settings:
    """Settings that point the bot at the sandbox only, whatever the environment says."""
    # model_validate skips the environment and .env: the real token can never leak in here.
    return Settings.model_validate(
        {
            "telegram_bot_token": sandbox.config.token,
            "telegram_base_url": sandbox.base_url,
            "telegram_base_file_url": sandbox.base_file_url,
            "database_url": database_url,
            "admin_ids": (ADMIN.user_id,),
        }
    )


async def prepare_database(database_url: str, *, fresh: bool) -> None:
    """Migrate to head; a fresh database also gets the sample units."""
    await upgrade_to_head_async(database_url)
    if not fresh:
        return
    db = open_database(database_url)
    try:
        await import_units_file(db, SAMPLE_UNITS)
    finally:
        await db.close()


async def _invite_code(client: SandboxClient, argument: str) -> str:
    """Ask the bot for an invite as the admin, the way a person does: /moi ARGUMENT."""
    [reply] = await client.converse(ADMIN.user_id, f"/moi {argument}", first_name=ADMIN.name)
    found = START_LINK.search(reply.get("text") or "")
    if found is None:
        raise RuntimeError(f"no invite link in the bot's answer to /moi {argument}")
    return found.group(1)


async def register_people(client: SandboxClient) -> None:
    """Register the officer and the heads through their invites, as real people would."""
    await client.converse(ADMIN.user_id, "/start", first_name=ADMIN.name)
    for person, argument in [(OFFICER, "canbo"), *((h, h.unit or "") for h in HEADS)]:
        code = await _invite_code(client, argument)
        # A head's registration is followed by the keyboard under the text box.
        replies = 2 if person.role == "head" else 1
        await client.converse(
            person.user_id, f"/start {code}", replies=replies, first_name=person.name
        )


@contextlib.asynccontextmanager
async def run_playground(
    port: int = 0, host: str = "127.0.0.1", db: Path | None = None
) -> AsyncIterator[RunningPlayground]:
    """Start the sandbox with the page, the real bot on it, and the sample people."""
    workdir = Path(tempfile.mkdtemp(prefix="binhdan-play-"))
    path = db if db is not None else workdir / "play.db"
    fresh = not path.exists()
    database_url = f"sqlite+aiosqlite:///{path}"
    sandbox = Sandbox(SandboxConfig())
    people = [ADMIN, OFFICER, *HEADS, STRANGER]
    playground = Playground(people=list(people), bot_username=sandbox.config.bot_username)
    sandbox.extensions.append(lambda app: add_routes(app, playground))
    await sandbox.start(port, host)
    client = SandboxClient(sandbox.control_url)
    try:
        await prepare_database(database_url, fresh=fresh)
        application = build_application(settings_for(sandbox, database_url))
        async with polling(application):
            if fresh:
                await register_people(client)
            else:
                # Registered in an earlier run: the sandbox only needs to know their chats.
                await client.open_chats([p.user_id for p in people])
            playground.hooks = RunnerHooks(application)
            shown_host = "127.0.0.1" if host in ("127.0.0.1", "0.0.0.0") else host  # noqa: S104
            yield RunningPlayground(
                f"http://{shown_host}:{sandbox.port}/", sandbox, playground, application
            )
    finally:
        await client.aclose()
        await sandbox.stop()
        shutil.rmtree(workdir, ignore_errors=True)


async def serve(port: int, host: str, db: Path | None) -> int:
    """Run until interrupted, printing the address."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print("Đang khởi động sân thử (sandbox, bot, dữ liệu mẫu)…", flush=True)
    async with run_playground(port, host, db) as running:
        print(f"Sân thử đã sẵn sàng: {running.url}", flush=True)
        print("Chỉ chạy trên máy này, không kết nối Telegram thật. Ctrl+C để dừng.", flush=True)
        await asyncio.Event().wait()
    return 0
