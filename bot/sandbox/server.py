"""The sandbox HTTP server on 127.0.0.1 (aiohttp.web): Bot API plus a control interface."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.sandbox import control
from bot.sandbox.botapi import METHODS
from bot.sandbox.flood import FloodConfig, FloodControl
from bot.sandbox.store import CallRecord, FaultKind, FaultRule, Store
from bot.sandbox.validation import ApiError
from bot.sandbox.webhook import Backoff, WebhookDelivery

LOOPBACK = "127.0.0.1"
Extension = Callable[[web.Application], None]


class _Unanswered(Exception):
    """A call the sandbox leaves without an answer (a time-out or a dropped connection)."""

    def __init__(self, kind: FaultKind) -> None:
        """Remember how the call went unanswered."""
        super().__init__(kind)
        self.kind = kind


@dataclass
class SandboxConfig:
    """How the sandbox behaves: its token, bot name, flood ceilings and added latency."""

    token: str = "123456:SANDBOX-TOKEN"  # noqa: S105 - a fake token for the local sandbox only
    bot_username: str = "binhdan_sandbox_bot"
    flood: FloodConfig = field(default_factory=FloodConfig)
    latency: float = 0.0
    seed: int = 0
    webhook_backoff: Backoff = field(default_factory=Backoff)


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as the call log keeps them: uploaded files by name, not content."""
    return {
        key: {"file": value.filename} if isinstance(value, web.FileField) else value
        for key, value in params.items()
    }


class Sandbox:
    """A running sandbox: its store, its flood control and its URLs."""

    def __init__(self, config: SandboxConfig) -> None:
        """Prepare state; `start` binds the port."""
        self.config = config
        self.store = Store(
            bot_id=int(config.token.split(":")[0]),
            bot_username=config.bot_username,
            seed=config.seed,
        )
        self.store.latency = config.latency
        self.flood = FloodControl(config.flood)
        self.delivery = WebhookDelivery(self.store, config.webhook_backoff)
        # Routes other tools (the playground) add to the same server before `start`.
        self.extensions: list[Extension] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        """The Bot API base, as PTB's base_url (the token is appended)."""
        return f"http://{LOOPBACK}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """The file download base, as PTB's base_file_url."""
        return f"http://{LOOPBACK}:{self.port}/file/bot"

    @property
    def control_url(self) -> str:
        """Where tests and the demo drive the sandbox."""
        return f"http://{LOOPBACK}:{self.port}/_sandbox"

    def build_app(self) -> web.Application:
        """Wire the routes."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        control.add_routes(app, self)
        for extend in self.extensions:
            extend(app)
        return app

    async def start(self, port: int = 0, host: str = LOOPBACK) -> None:
        """Listen on 127.0.0.1 (a free port when 0) and start webhook delivery."""
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        self.delivery.start()

    async def stop(self) -> None:
        """Stop delivering, wake long-pollers and streams, and close the server."""
        self.store.closing = True
        await self.store.wake()
        await self.delivery.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _params(self, request: web.Request) -> dict[str, Any]:
        """Read parameters from the query, form data, multipart or a JSON body."""
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        return params

    async def _api(self, request: web.Request) -> web.Response:
        """Dispatch one Bot API call, with faults, latency and Telegram's error shapes."""
        method_name = request.match_info["method"]
        self.store.count(f"call:{method_name}")
        if request.match_info["token"] != self.config.token:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        method = METHODS.get(method_name)
        if method is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        params = await self._params(request)
        rule = None if method_name == "getUpdates" else self.store.fault_for(method_name)
        try:
            if rule is not None and not rule.after:
                await self._fault(rule)
            result = await method(self.store, self.flood, params)
            if self.store.latency and method_name != "getUpdates":
                # Telegram counts a message when it arrives; the round trip comes after.
                await asyncio.sleep(self.store.latency)
            if rule is not None and rule.after:
                await self._fault(rule)
        except ApiError as error:
            self.store.count(f"error:{error.status}")
            await self._log(method_name, params, error)
            return web.json_response(error.body(), status=error.status)
        except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
            bad_request = ApiError(400, f"Bad Request: {exc}")
            await self._log(method_name, params, bad_request)
            return web.json_response(bad_request.body(), status=bad_request.status)
        except _Unanswered as unanswered:
            await self._log(method_name, params, ApiError(0, unanswered.kind))
            if unanswered.kind == FaultKind.DROP and request.transport is not None:
                request.transport.abort()
            return web.Response(status=504)
        if method_name != "getUpdates":  # a poll a second would drown everything else
            await self._log(method_name, params, None)
        return web.json_response({"ok": True, "result": result})

    async def _log(self, method: str, params: dict[str, Any], error: ApiError | None) -> None:
        """Record the call and its outcome for the control interface."""
        await self.store.record_call(
            CallRecord(
                seq=self.store.next_seq(),
                method=method,
                params=_loggable(params),
                status=200 if error is None else error.status,
                description=None if error is None else error.description,
                retry_after=None if error is None else error.retry_after,
            )
        )

    async def _fault(self, rule: FaultRule) -> None:
        """Raise the injected fault (after its delay, to mimic a slow failure)."""
        self.store.count("faults")
        if rule.kind == FaultKind.TIMEOUT:
            await self._until_closing(rule.delay or 30.0)
            raise _Unanswered(rule.kind)
        if rule.delay:
            await self._until_closing(rule.delay)
        if rule.kind == FaultKind.DROP:
            raise _Unanswered(rule.kind)
        if rule.kind == FaultKind.FLOOD:
            description = f"Too Many Requests: retry after {rule.retry_after}"
            raise ApiError(429, description, retry_after=rule.retry_after)
        raise ApiError(rule.status, rule.description)

    async def _until_closing(self, seconds: float) -> None:
        """Wait `seconds`, or less if the sandbox stops meanwhile."""
        async with self.store.changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.store.changed.wait_for(lambda: self.store.closing), seconds
                )

    async def _download(self, request: web.Request) -> web.Response:
        """Serve a stored file by its file_path."""
        if request.match_info["token"] != self.config.token:
            return web.Response(status=401)
        parts = request.match_info["path"].split("/")
        stored = self.store.files.get(parts[1]) if len(parts) >= 2 else None
        if stored is None:
            return web.Response(status=404)
        return web.Response(body=stored.content, content_type=stored.mime_type)


@asynccontextmanager
async def running_sandbox(config: SandboxConfig | None = None) -> AsyncIterator[Sandbox]:
    """Run a sandbox on a free loopback port for the duration of the block."""
    sandbox = Sandbox(config or SandboxConfig())
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()
