"""The webhook receiver: every worker's aiohttp server, behind the TLS proxy.

As python-telegram-bot's custom webhook example (examples/customwebhookbot/starlettebot.py)
does with Starlette: the Application is built without an Updater, and the web server hands
each update to the durable inbox (bot/telegram/intake/inbox.py), whose `store` returns only once the
update is stored and queued on `application.update_queue`, so the receiver:

1. refuses (403) a request without the right `X-Telegram-Bot-Api-Secret-Token`, compared in
   constant time;
2. stores the update (its `update_id` is the key: Telegram's redeliveries change nothing);
   a database that does not take it within STORE_TIMEOUT_SECONDS gets a 503, so Telegram
   retries (perhaps through the proxy to another worker);
3. answers 200 at once: processing happens afterwards, in the worker holding the chat
   (bot/processes/chat_router.py).

A body that is not an update (not UTF-8 JSON, not an object, no whole-number `update_id`, a
shape PTB cannot read) gets a 400 and is never stored, so it cannot block the ones after it.

`GET /healthz` answers 200 while the process runs; `GET /readyz` 200 when the database
answers and no update has waited longer than STORE_TIMEOUT_SECONDS to be stored, 503
otherwise (a proxy or orchestrator stops sending to a worker that is not ready).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from telegram import Bot, Update

from bot.telegram.intake.connection_guard import GuardedFactory
from bot.telegram.intake.inbox import Inbox

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
READY_TIMEOUT_SECONDS = 3.0
# Storing waits for the database this long; then Telegram is told to retry (503), perhaps
# to another worker, while the store goes on (a redelivery is recognised by its id).
STORE_TIMEOUT_SECONDS = 10.0
# Telegram opens at most 100 connections (`max_connections`, 40 by default); slow or surplus
# clients past these limits are closed (bot/telegram/intake/connection_guard.py).
MAX_CONNECTIONS = 256
HEADER_SECONDS = 10.0
KEEPALIVE_SECONDS = 30.0
# Telegram's updates are a few kB; a file is never posted, only its id.
MAX_BODY = 1024 * 1024


# Refused requests are logged in one line per this many seconds, with their count.
LOG_EVERY_SECONDS = 10.0
# Telegram's update ids are positive 32-bit numbers; anything else is not an update of its.
MAX_UPDATE_ID = 2**31 - 1


def parse_update(body: bytes, bot: Bot) -> tuple[Update, str] | None:
    """The update a body carries (with its UTF-8 text), or None for anything that is not one.

    Refused: a body that is not UTF-8 JSON, nesting deep enough to exhaust the parser, a JSON
    value that is not an object, an `update_id` that is not a positive whole number, and any
    object PTB cannot read as an Update (`"message": 5`).
    """
    try:
        text = body.decode("utf-8")
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:
        return None
    try:
        update = Update.de_json(data, bot)
    except Exception:  # untrusted input: PTB raises whatever the wrong shape provokes
        return None
    return (update, text) if update is not None else None


class WebhookReceiver:
    """The HTTP side of one webhook worker."""

    def __init__(
        self,
        bot: Bot,
        inbox: Inbox,
        *,
        path: str,
        secret: str,
        listen: tuple[str, int],
        database_ready: Callable[[], Awaitable[bool]],
        describe: Callable[[], dict[str, Any]] = dict,
    ) -> None:
        """Receive at `path` on `listen`; `database_ready` backs /readyz."""
        self._bot = bot
        self._inbox = inbox
        self._path = path
        self._secret = secret.encode()
        self._listen = listen
        self._database_ready = database_ready
        self._describe = describe
        self._runner: web.AppRunner | None = None
        self._server: asyncio.Server | None = None
        self._storing: dict[asyncio.Future[None], float] = {}
        self._refused: dict[str, int] = {}
        self._refused_logged_at: dict[str, float] = {}
        self.port: int | None = None

    def build(self) -> web.Application:
        """The aiohttp application: the webhook route and the two probes."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self._path, self.receive)
        app.router.add_get(HEALTH_PATH, self.healthz)
        app.router.add_get(READY_PATH, self.readyz)
        return app

    async def start(self) -> None:
        """Listen on WEBHOOK_LISTEN."""
        self._runner = web.AppRunner(
            self.build(),
            access_log=None,
            shutdown_timeout=5.0,
            # An idle connection is closed after this (aiohttp's default is an hour): idle
            # sockets cannot hold the connection limit for long.
            keepalive_timeout=KEEPALIVE_SECONDS,
        )
        await self._runner.setup()
        host, port = self._listen
        assert self._runner.server is not None
        # aiohttp's protocol factory behind our guard (bot/telegram/intake/connection_guard.py).
        guarded = GuardedFactory(
            self._runner.server, limit=MAX_CONNECTIONS, header_seconds=HEADER_SECONDS
        )
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(guarded, host, port, reuse_address=True)
        self.port = int(self._server.sockets[0].getsockname()[1])
        # Not the path: it may carry a secret of its own.
        logger.info("Receiving webhook updates on %s:%s", host, self.port)

    async def stop(self) -> None:
        """Stop listening; requests under way finish first."""
        if self._server is not None:
            self._server.close()  # no new connections; the runner closes the open ones
            server, self._server = self._server, None
        else:
            server = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if server is not None:
            await server.wait_closed()

    async def receive(self, request: web.Request) -> web.Response:
        """Check the secret, store the update, answer 200."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self._log_refused("without the right secret")
            return web.Response(status=403)
        body = await request.read()
        parsed = parse_update(body, self._bot)
        if parsed is None:
            self._log_refused("that are not updates")
            return web.Response(status=400)
        update, text = parsed
        storing = asyncio.ensure_future(self._inbox.store([(update, text)]))
        started = asyncio.get_running_loop().time()
        self._storing[storing] = started
        storing.add_done_callback(self._stored)
        try:
            await asyncio.wait_for(asyncio.shield(storing), STORE_TIMEOUT_SECONDS)
        except TimeoutError:
            logger.warning("Could not store update %s in time; Telegram retries", update.update_id)
            return web.Response(status=503)
        except Exception:
            return web.Response(status=503)  # logged by _stored; Telegram retries
        return web.Response(status=200)

    def _stored(self, storing: asyncio.Future[None]) -> None:
        """A store finished (or failed: the update is then not stored, Telegram retries)."""
        self._storing.pop(storing, None)
        if not storing.cancelled() and storing.exception() is not None:
            logger.error("Could not store a webhook update", exc_info=storing.exception())

    def _log_refused(self, why: str) -> None:
        """Log refusals, one line per LOG_EVERY_SECONDS each (a flood must not fill the disk)."""
        self._refused[why] = self._refused.get(why, 0) + 1
        now = asyncio.get_running_loop().time()
        if now - self._refused_logged_at.get(why, float("-inf")) >= LOG_EVERY_SECONDS:
            logger.warning("Refused %d webhook request(s) %s", self._refused[why], why)
            self._refused[why], self._refused_logged_at[why] = 0, now

    def stuck(self) -> bool:
        """Whether an update has been waiting to be stored for longer than a store may take."""
        now = asyncio.get_running_loop().time()
        return any(now - started > STORE_TIMEOUT_SECONDS for started in self._storing.values())

    async def healthz(self, request: web.Request) -> web.Response:
        """The process runs."""
        return web.json_response({"ok": True, **self._describe()})

    async def readyz(self, request: web.Request) -> web.Response:
        """The database answers and updates are being stored (none stuck on the way in)."""
        try:
            ready = await asyncio.wait_for(self._database_ready(), READY_TIMEOUT_SECONDS)
        except (Exception, TimeoutError):
            ready = False
        stuck = self.stuck()
        body = {"ready": ready and not stuck, "storing": not stuck, **self._describe()}
        return web.json_response(body, status=200 if body["ready"] else 503)
