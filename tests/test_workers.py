"""Several `binhdan run` processes on one PostgreSQL: one leader, fail-over, webhook workers.

Each test starts real processes against the sandbox (as tests/test_faults.py does) with fast
leadership checks and short leases, and judges by what the sandbox recorded and what the
database holds. They need the server (TEST_DATABASE_URL, .ci/pg-cluster.sh); on SQLite the
same guarantees are the single process's, tested elsewhere, so they are skipped there.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import re
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox import Sandbox
from bot.sandbox.client import SandboxClient
from bot.telegram.intake.webhook import SECRET_HEADER
from models import Delivery, DeliveryStatus, ReceivedUpdate, Schedule, UpdateStatus
from tests.conftest import ON_POSTGRESQL
from tests.helpers import make_invite, register_many, reports_of, until
from tests.test_faults import _all_sent, _per_chat, _queue

pytestmark = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="several processes on one PostgreSQL: set TEST_DATABASE_URL (.ci/pg-cluster.sh)",
)

SessionFactory = async_sessionmaker[AsyncSession]
LEADER_LINE = "is now the leader"
SECRET = "workers_secret-1"
FAST = {"LEADER_CHECK_SECONDS": "0.2", "LEASE_SECONDS": "3"}
NUMBERS = itertools.count(1)


@dataclass
class BotProcess:
    """One `binhdan run` with its log file."""

    name: str
    process: asyncio.subprocess.Process
    log: Path

    @property
    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    @property
    def leads(self) -> bool:
        return LEADER_LINE in self.text

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.returncode is None:
            self.process.send_signal(sig)
        try:
            return await asyncio.wait_for(self.process.wait(), 60)
        except TimeoutError:
            # The bot logs what a slow stop waits for (bot.runtime.report_a_slow_stop).
            raise AssertionError(f"{self.name} did not stop; its log:\n{self.text}") from None


def _env(sandbox: Sandbox, db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_"))}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": sandbox.config.token,
            "TELEGRAM_BASE_URL": sandbox.base_url,
            "TELEGRAM_BASE_FILE_URL": sandbox.base_file_url,
            "DATABASE_URL": db_url,
            "SEND_RATE_PER_SECOND": "20",
            "LOG_LEVEL": "INFO",
            **FAST,
            **extra,
        }
    )
    return env


@pytest.fixture
async def bots(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[list[BotProcess]]:
    """The processes a test starts; any still running at the end are stopped."""
    started: list[BotProcess] = []
    yield started
    for bot in started:
        if bot.process.returncode is None:
            bot.process.kill()
            await bot.process.wait()


async def _start(
    bots: list[BotProcess], sandbox: Sandbox, db_url: str, tmp_path: Path, **extra: str
) -> BotProcess:
    name = f"bot{next(NUMBERS)}"
    log = tmp_path / f"{name}.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=_env(sandbox, db_url, **extra),
            cwd=tmp_path,
            stdout=sink,
            stderr=sink,
        )
    bot = BotProcess(name, process, log)
    bots.append(bot)
    return bot


# Bounded waits, looked at every 0.1 s.
_until = functools.partial(until, timeout=60, step=0.1)


async def _count(factory: SessionFactory, model: Any, *where: Any) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_two_processes_started_together_one_leads_four_defaults_no_409(
    sandbox: Sandbox,
    client: SandboxClient,
    blank_db_url: str,
    tmp_path: Path,
    bots: list[BotProcess],
) -> None:
    """Both migrate (under the advisory lock) and start; one polls; defaults made once."""
    first, second = await asyncio.gather(
        _start(bots, sandbox, blank_db_url, tmp_path), _start(bots, sandbox, blank_db_url, tmp_path)
    )
    await _until(lambda: first.leads or second.leads, what="a leader")
    await _until(lambda: client.calls("deleteWebhook"), what="the leader to poll")
    await asyncio.sleep(2.0)  # the standby keeps trying meanwhile
    assert first.process.returncode is None and second.process.returncode is None
    assert [first.leads, second.leads].count(True) == 1
    conflicts = [call for call in await client.calls("getUpdates") if call["status"] == 409]
    assert conflicts == []
    from models.db import make_session_factory, open_database

    database = open_database(blank_db_url)
    try:
        assert await _count(make_session_factory(database.engine), Schedule) == 4
    finally:
        await database.close()
    assert await first.stop() == 0 and await second.stop() == 0
    assert "Traceback" not in first.text + second.text


async def test_a_process_joining_mid_broadcast_resends_nothing(
    sandbox: Sandbox,
    client: SandboxClient,
    db_url: str,
    session_factory: SessionFactory,
    units: None,
    tmp_path: Path,
    bots: list[BotProcess],
) -> None:
    users = await register_many(session_factory, client, 60, 980_000)
    await client.set_faults([], latency=0.05)
    await _queue(session_factory)
    leader = await _start(bots, sandbox, db_url, tmp_path)
    await _until(lambda: _sent_at_least(client, 15), what="15 sends")
    joiner = await _start(bots, sandbox, db_url, tmp_path)
    await _all_sent(session_factory, 60)
    await asyncio.sleep(1.0)  # anything resent would show now
    per_chat = await _per_chat(client)
    assert [per_chat[user] for user in users] == [1] * 60, "a delivery was sent twice"
    # A loaded machine may take a moment to start the joiner's election: wait for its line.
    await _until(lambda: "Standing by" in joiner.text, what="the joiner stands by")
    assert leader.leads and not joiner.leads
    assert await joiner.stop() == 0 and await leader.stop() == 0


async def _sent_at_least(client: SandboxClient, count: int) -> bool:
    return sum((await _per_chat(client)).values()) >= count


async def test_kill_9_of_the_leader_mid_broadcast_the_standby_finishes(
    sandbox: Sandbox,
    client: SandboxClient,
    db_url: str,
    session_factory: SessionFactory,
    units: None,
    tmp_path: Path,
    bots: list[BotProcess],
) -> None:
    users = await register_many(session_factory, client, 60, 990_000)
    await client.set_faults([], latency=0.05)
    leader = await _start(bots, sandbox, db_url, tmp_path)
    await _until(lambda: leader.leads, what="the first leader")
    standby = await _start(bots, sandbox, db_url, tmp_path)
    await _until(lambda: "Standing by" in standby.text, what="the standby")
    await _queue(session_factory)
    await _until(lambda: _sent_at_least(client, 15), what="15 sends")
    leader.process.send_signal(signal.SIGKILL)
    await leader.process.wait()
    in_flight = await _count(session_factory, Delivery, Delivery.status == DeliveryStatus.SENDING)
    before = sum((await _per_chat(client)).values())
    assert 15 <= before < 60
    await _all_sent(session_factory, 60)
    assert standby.leads
    per_chat = await _per_chat(client)
    assert all(per_chat[user] >= 1 for user in users), "a recipient never got the directive"
    duplicates = sum(count - 1 for count in per_chat.values())
    assert duplicates <= in_flight, (duplicates, in_flight)
    assert await standby.stop() == 0


async def test_sigterm_of_the_leader_mid_broadcast_hands_over_without_a_duplicate(
    sandbox: Sandbox,
    client: SandboxClient,
    db_url: str,
    session_factory: SessionFactory,
    units: None,
    tmp_path: Path,
    bots: list[BotProcess],
) -> None:
    """Graceful stop: the sends in flight finish and are recorded, the lock is released."""
    users = await register_many(session_factory, client, 60, 993_000)
    await client.set_faults([], latency=0.05)
    leader = await _start(bots, sandbox, db_url, tmp_path)
    await _until(lambda: leader.leads, what="the first leader")
    standby = await _start(bots, sandbox, db_url, tmp_path)
    await _until(lambda: "Standing by" in standby.text, what="the standby")
    await _queue(session_factory)
    await _until(lambda: _sent_at_least(client, 15), what="15 sends")
    assert await leader.stop(signal.SIGTERM) == 0
    match = re.search(r"This process \((\S+)\) is now the leader", leader.text)
    assert match is not None
    left = await _count(
        session_factory,
        Delivery,
        Delivery.status == DeliveryStatus.SENDING,
        Delivery.claimed_by.startswith(match[1]),
    )
    assert left == 0, "the stopped leader left deliveries in flight"
    await _all_sent(session_factory, 60)
    per_chat = await _per_chat(client)
    assert [per_chat[user] for user in users] == [1] * 60
    assert standby.leads
    assert await standby.stop() == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Proxy:
    """One public URL in front of several workers, round-robin (Caddy's job in production)."""

    upstreams: list[int]
    port: int = 0
    served: Counter[int] | None = None

    def __post_init__(self) -> None:
        self.served = Counter()
        self._turn = itertools.cycle(self.upstreams)

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k == SECRET_HEADER}
        headers["Content-Type"] = "application/json"
        for _ in self.upstreams:  # like a proxy's passive health check: skip a dead worker
            upstream = next(self._turn)
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.post(
                        f"http://127.0.0.1:{upstream}{request.path}", data=body, headers=headers
                    ) as answer,
                ):
                    assert self.served is not None
                    self.served[upstream] += 1
                    return web.Response(status=answer.status)
            except aiohttp.ClientConnectorError:
                continue
        return web.Response(status=502)


@pytest.fixture
async def proxy() -> AsyncIterator[Proxy]:
    front = Proxy([_free_port(), _free_port()], _free_port())
    app = web.Application()
    app.router.add_post("/hook", front.forward)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", front.port).start()
    yield front
    await runner.cleanup()


async def test_two_webhook_workers_behind_one_url_process_each_update_once_in_order(
    sandbox: Sandbox,
    client: SandboxClient,
    db_url: str,
    session_factory: SessionFactory,
    units: None,
    tmp_path: Path,
    bots: list[BotProcess],
    proxy: Proxy,
) -> None:
    """Reports of four heads arrive alternately at two workers; each is stored once, in order."""
    await client.set_flood(chat_burst=1000)
    url = f"http://127.0.0.1:{proxy.port}/hook"
    common = {
        "WEBHOOK_URL": url,
        "WEBHOOK_SECRET": SECRET,
        "USER_BURST": "1000",
        "SEND_CHAT_BURST": "1000",
    }
    workers = [
        await _start(bots, sandbox, db_url, tmp_path, WEBHOOK_LISTEN=f"127.0.0.1:{port}", **common)
        for port in proxy.upstreams
    ]
    await _until(lambda: client.calls("setWebhook"), what="the leader to set the webhook")
    heads = {991_001: "T01", 991_002: "T02", 991_003: "B01", 991_004: "CA"}
    for user, unit in heads.items():
        code = await make_invite(session_factory, unit)
        reply, _ = await client.converse(user, f"/start {code}", replies=2, timeout=30)
        assert "Đăng ký thành công" in reply["text"]
    # Rising figures (the agency has 40 adults): a report handled out of order would be a
    # decrease, which is asked about instead of stored.
    after_registration = await client.last_seq()
    figures = {
        unit: [(4 if unit == "CA" else 100) + 4 * step for step in range(8)]
        for unit in heads.values()
    }
    for step in range(8):
        for user, unit in heads.items():
            await client.send(user, f"/baocao {figures[unit][step]}")

    async def all_stored() -> bool:
        counts = [len(await reports_of(session_factory, unit)) for unit in heads.values()]
        return sum(counts) >= 8 * len(heads)

    async def answers_of(user: int) -> list[dict[str, Any]]:
        events = await client.events(user, after=after_registration)
        return [event for event in events if event["method"] == "sendMessage"]

    async def all_answered() -> bool:
        return all([len(await answers_of(user)) >= 8 for user in heads])

    await _until(all_stored, timeout=90, what="every report")
    # A reply follows its report's commit: on a busy machine, a moment later.
    await _until(all_answered, timeout=30, what="every report's answer")
    await asyncio.sleep(1.0)  # a duplicate would arrive now
    for user, unit in heads.items():
        stored = [report.enrolled for report in await reports_of(session_factory, unit)]
        assert stored == figures[unit], (unit, stored)  # once each, in the order sent
        # Processed once each: one answer per update (a report is idempotent, a reply not).
        answers = await answers_of(user)
        assert len(answers) == 8, (user, answers)
    assert (
        await _count(session_factory, ReceivedUpdate, ReceivedUpdate.status == UpdateStatus.PENDING)
        == 0
    )
    assert proxy.served is not None and all(proxy.served[port] > 0 for port in proxy.upstreams)
    # A request without the secret is refused by any worker.
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{proxy.upstreams[0]}/hook",
            json={"update_id": 1},
            headers={SECRET_HEADER: "wrong"},
        ) as refused,
    ):
        assert refused.status == 403
    for port in proxy.upstreams:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/readyz") as ready,
        ):
            assert ready.status == 200
    assert [worker.leads for worker in workers].count(True) == 1
    for worker in workers:
        assert await worker.stop() == 0
