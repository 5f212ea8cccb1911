"""The webhook receiver: every worker's aiohttp server, behind the TLS proxy.

As python-telegram-bot's custom webhook example (examples/customwebhookbot/starlettebot.py)
does with Starlette: the Application is built without an Updater, and the web server puts
each update on `application.update_queue`. Here that queue is the durable inbox, whose `store`
returns only once the update is stored, so the receiver:

1. refuses (403) a request without the right `X-Telegram-Bot-Api-Secret-Token`, compared in
   constant time;
2. stores the update (its `update_id` is the key: Telegram's redeliveries change nothing);
   a database that does not take it within STORE_TIMEOUT_SECONDS gets a 503, so Telegram
   retries (perhaps through the proxy to another worker);
3. answers 200 at once: processing happens afterwards, in the worker holding the chat
   (bot/telegram/chats.py).

`GET /healthz` answers 200 while the process runs; `GET /readyz` 200 when the database
answers, 503 otherwise (a proxy or orchestrator stops sending to a worker that is not ready).
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

from bot.telegram.inbox import InboxQueue

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
READY_TIMEOUT_SECONDS = 3.0
# Storing waits for the database this long; then Telegram is told to retry (503), perhaps
# to another worker, while the store goes on (a redelivery is recognised by its id).
STORE_TIMEOUT_SECONDS = 10.0
# Telegram's updates are a few kB; a file is never posted, only its id.
MAX_BODY = 1024 * 1024


class WebhookReceiver:
    """The HTTP side of one webhook worker."""

    def __init__(
        self,
        bot: Bot,
        queue: InboxQueue,
        *,
        path: str,
        secret: str,
        listen: tuple[str, int],
        database_ready: Callable[[], Awaitable[bool]],
        describe: Callable[[], dict[str, Any]] = dict,
    ) -> None:
        """Receive at `path` on `listen`; `database_ready` backs /readyz."""
        self._bot = bot
        self._queue = queue
        self._path = path
        self._secret = secret.encode()
        self._listen = listen
        self._database_ready = database_ready
        self._describe = describe
        self._runner: web.AppRunner | None = None
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
        self._runner = web.AppRunner(self.build(), access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        host, port = self._listen
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1] if self._runner.addresses else port
        logger.info("Receiving webhook updates on %s:%s%s", host, self.port, self._path)

    async def stop(self) -> None:
        """Stop listening; requests under way finish first."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def receive(self, request: web.Request) -> web.Response:
        """Check the secret, store the update, answer 200."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            logger.warning("Refused a webhook request without the right secret")
            return web.Response(status=403)
        try:
            body = await request.read()
            update = Update.de_json(json.loads(body), self._bot)
        except (ValueError, TypeError, KeyError):
            logger.warning("Refused a webhook request that is not an update")
            return web.Response(status=400)
        try:
            await asyncio.wait_for(
                asyncio.shield(self._queue.store(update, body.decode())), STORE_TIMEOUT_SECONDS
            )
        except TimeoutError:
            logger.warning("Could not store update %s in time; Telegram retries", update.update_id)
            return web.Response(status=503)
        return web.Response(status=200)

    async def healthz(self, request: web.Request) -> web.Response:
        """The process runs."""
        return web.json_response({"ok": True, **self._describe()})

    async def readyz(self, request: web.Request) -> web.Response:
        """The database answers."""
        try:
            ready = await asyncio.wait_for(self._database_ready(), READY_TIMEOUT_SECONDS)
        except (Exception, TimeoutError):
            ready = False
        return web.json_response({"ready": ready, **self._describe()}, status=200 if ready else 503)
