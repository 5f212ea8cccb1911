"""Webhook delivery as Telegram does it: one update at a time, in order, retried until 2xx."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from bot.sandbox.botapi import LOOPBACK_HOSTS
from bot.sandbox.store import JSON, Store, Webhook

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


@dataclass
class Backoff:
    """Retry delays after a failed delivery: first, factor, ceiling (seconds)."""

    first: float = 0.5
    factor: float = 2.0
    ceiling: float = 8.0


class WebhookDelivery:
    """POST queued updates to the webhook while one is set; stop with `stop()`."""

    def __init__(self, store: Store, backoff: Backoff, timeout: float = 10.0) -> None:
        """Keep the store; `start` begins delivering."""
        self.store = store
        self.backoff = backoff
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run the delivery loop in the background."""
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        """Cancel the loop and wait for it."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _next(self) -> tuple[Webhook, JSON]:
        """Wait until a webhook is set and an update is queued."""
        store = self.store
        async with store.changed:
            while store.webhook is None or not store.updates:
                await store.changed.wait()
            return store.webhook, store.updates[0]

    async def _run(self) -> None:
        """Deliver the head of the queue; on failure keep it there and back off."""
        delay = self.backoff.first
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                hook, update = await self._next()
                error = await self._post(http, hook, update)
                if error is None:
                    self._confirm(update)
                    delay = self.backoff.first
                    continue
                hook.last_error_date = int(time.time())
                hook.last_error_message = error
                self.store.count("webhook_failures")
                await asyncio.sleep(delay)
                delay = min(delay * self.backoff.factor, self.backoff.ceiling)

    async def _post(self, http: aiohttp.ClientSession, hook: Webhook, update: JSON) -> str | None:
        """POST one update; return Telegram's wording of what went wrong, or None."""
        if urlsplit(hook.url).hostname not in LOOPBACK_HOSTS:
            return "Webhook URL is not on this machine"  # never reached: setWebhook checks it
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        try:
            async with http.post(hook.url, data=json.dumps(update), headers=headers) as answer:
                if 200 <= answer.status < 300:
                    self.store.count("webhook_delivered")
                    return None
                status = f"{answer.status} {answer.reason or ''}".strip()
                return f"Wrong response from the webhook: {status}"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as exc:
            logger.debug("Webhook delivery failed: %s", exc)
            return "Connection failed"

    def _confirm(self, update: JSON) -> None:
        """Drop a delivered update, unless the queue was dropped meanwhile."""
        updates = self.store.updates
        if updates and updates[0]["update_id"] == update["update_id"]:
            updates.pop(0)
