"""P6–P9: several processes on PostgreSQL (broadcast, fail-over, webhook ingest) and /thongke.

PostgreSQL comes from BENCH_DATABASE_URL (or TEST_DATABASE_URL): a `postgresql+asyncpg://` URL
whose user may CREATE DATABASE. Without one, a throwaway cluster is started with
`.ci/pg-cluster.sh` (the server binaries must be installed; `.ci/pg-cluster.sh start --install`
installs Debian's as root) and removed afterwards. Each measurement gets a new database.

The bots are real `binhdan run` processes; the sandbox runs in its own process, as in P1–P5.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import shlex
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiohttp import ClientSession, web
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bench import broadcast, report_ingest
from bench.common import SandboxProcess, Section, Series, sandbox_process
from bot.migrate import upgrade_to_head_async
from bot.services.broadcasts.audience import Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import create_directive
from bot.services.reports.periods import period_at
from bot.services.stats.stats import commune_summary
from models import Delivery, DeliveryStatus, Report
from models.base import utcnow
from models.db import make_engine, make_session_factory

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = ROOT / ".ci" / "pg-cluster.sh"
RUNS = 3
SECRET = "bench_webhook-secret"
LEADER_LINE = "is now the leader"


# --- PostgreSQL -----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def postgres() -> AsyncIterator[str | None]:
    """A server URL: the configured one, or a throwaway cluster; None when there is none."""
    configured = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    process = await asyncio.create_subprocess_exec(
        str(CLUSTER), "start", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        yield None
        return
    exports = dict(re.findall(r"export (\w+)=(\S+)", out.decode()))
    try:
        yield exports["TEST_DATABASE_URL"]
    finally:
        stop = await asyncio.create_subprocess_exec(
            str(CLUSTER),
            "stop",
            exports["PG_CLUSTER_DIR"],
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await stop.wait()


# The unit_progress columns a seeded database fills (the benchmarks copy rows straight in).
PROGRESS_COLUMNS = [
    "unit_id",
    "enrolled",
    "completed",
    "reported_at",
    "reporter_name",
    "period_key",
    "before_enrolled",
]


async def _admin(server: str, statement: str) -> None:
    engine = create_async_engine(server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def fresh_database(server: str) -> AsyncIterator[str]:
    """A new, migrated database on the server, dropped afterwards."""
    name = f"binhdan_bench_{uuid.uuid4().hex[:10]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade_to_head_async(url)
        yield url
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def server_version(server: str) -> str:
    engine = create_async_engine(server, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return str(await connection.scalar(select(func.current_setting("server_version"))))
    finally:
        await engine.dispose()


# --- bot processes --------------------------------------------------------------------------

NUMBERS = itertools.count(1)


@dataclass
class BotProcess:
    """One `binhdan run` and its log."""

    process: asyncio.subprocess.Process
    log: Path

    @property
    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    @property
    def leads(self) -> bool:
        return LEADER_LINE in self.text

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.returncode is None:
            self.process.send_signal(sig)
        await asyncio.wait_for(self.process.wait(), 120)


async def start_bot(
    sandbox: SandboxProcess, database_url: str, folder: Path, **env: str
) -> BotProcess:
    """`python -m bot run` against the sandbox and the database."""
    log = folder / f"bot{next(NUMBERS)}.log"
    settings = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_", "WEBHOOK_"))
    }
    settings.update(
        {
            "TELEGRAM_BOT_TOKEN": sandbox.token,
            "TELEGRAM_BASE_URL": sandbox.base_url,
            "TELEGRAM_BASE_FILE_URL": sandbox.base_file_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "INFO",
            **env,
        }
    )
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=settings, cwd=folder, stdout=sink, stderr=sink
        )
    return BotProcess(process, log)


async def until(condition: Any, timeout: float, what: str) -> None:
    """Poll a condition (sync or async) every 50 ms, bounded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


async def _sent(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status == DeliveryStatus.SENT)
            )
    finally:
        await engine.dispose()
    return int(count or 0)


async def _queue_broadcast(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with make_session_factory(engine).begin() as session:
            await create_directive(
                session,
                DirectiveContent("Thử", broadcast.TEXT),
                Audience.parse("all"),
                actor_user_id=None,
                now=utcnow(),
            )
    finally:
        await engine.dispose()


async def _events(control_url: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=control_url, timeout=60) as http:
        events: list[dict[str, Any]] = (await http.get("/events", params={"after": 0})).json()[
            "events"
        ]
        return events


async def _calls(control_url: str, method: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=control_url, timeout=60) as http:
        answer = await http.get("/calls", params={"after": 0, "method": method})
        calls: list[dict[str, Any]] = answer.json()["calls"]
        return calls


# --- P6: broadcast with two processes -------------------------------------------------------


async def _broadcast_once(server: str, processes: int) -> dict[str, float]:
    """1000 recipients; `processes` bots started together on one database."""
    recipients = broadcast.RECIPIENTS
    with tempfile.TemporaryDirectory(prefix="binhdan-bench-") as tmp:
        folder = Path(tmp)
        async with (
            fresh_database(server) as url,
            sandbox_process("--latency", str(broadcast.LATENCY)) as sandbox,
        ):
            await broadcast._seed(url, recipients)
            await broadcast._open_chats(sandbox.control_url, recipients)
            await _queue_broadcast(url)
            bots = await asyncio.gather(
                *(start_bot(sandbox, url, folder) for _ in range(processes))
            )
            try:
                await until(lambda: _sent_all(url, recipients), 600, "the broadcast")
                await asyncio.sleep(1.0)  # a resend would show now
            finally:
                for bot in bots:
                    await bot.stop()
            per_chat, refused, rate = await broadcast._sandbox_counts(sandbox.control_url)
            leaders = sum(bot.leads for bot in bots)
    lost, duplicates = broadcast._quality(per_chat, recipients)
    return {
        "rate": rate,
        "429": refused,
        "lost": lost,
        "duplicates": duplicates,
        "leaders": leaders,
    }


async def _sent_all(url: str, recipients: int) -> bool:
    return await _sent(url) >= recipients


async def _p6(server: str) -> list[str]:
    rows = []
    for processes in (1, 2):
        series = _series([await _broadcast_once(server, processes) for _ in range(RUNS)])
        rows.append(
            f"| {processes} | {series['rate'].cell()} | "
            f"{100 * series['rate'].median / broadcast.CEILING:.1f} | {series['429'].cell(0)} | "
            f"{series['lost'].cell(0)} | {series['duplicates'].cell(0)} | "
            f"{series['leaders'].cell(0)} |"
        )
    return [
        f"{broadcast.RECIPIENTS} recipients, as P1 (the sandbox in its own process adds "
        f"{broadcast.LATENCY * 1000:.0f} ms per call and enforces 30 msg/s and ~1 msg/s per "
        "chat), but `binhdan run` processes on one PostgreSQL database, started together with "
        "the directive already queued. Only the elected leader drains the outbox, so the "
        "second process changes nothing: one rate limit, no 429, nothing sent twice.",
        "",
        "| processes | msg/s while sending | % of ceiling | 429 answers | lost | duplicates "
        "| leaders |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ]


def _series(runs: list[dict[str, float]]) -> dict[str, Series]:
    gathered: dict[str, Series] = {}
    for run in runs:
        for name, value in run.items():
            gathered.setdefault(name, Series(name, "")).values.append(value)
    return gathered


# --- P7: fail-over after kill -9 ------------------------------------------------------------


async def _failover_once(server: str) -> dict[str, float]:
    """Kill the leader with 1/3 of 1000 sent; the standby (already running) finishes."""
    recipients = broadcast.RECIPIENTS
    with tempfile.TemporaryDirectory(prefix="binhdan-bench-") as tmp:
        folder = Path(tmp)
        async with (
            fresh_database(server) as url,
            sandbox_process("--latency", str(broadcast.LATENCY)) as sandbox,
        ):
            await broadcast._seed(url, recipients)
            await broadcast._open_chats(sandbox.control_url, recipients)
            leader = await start_bot(sandbox, url, folder)
            await until(lambda: leader.leads, 60, "the first leader")
            standby = await start_bot(sandbox, url, folder)
            await until(lambda: "Standing by" in standby.text, 60, "the standby")
            await _queue_broadcast(url)
            await until(lambda: _sent_at_least(url, recipients // 3), 300, "a third sent")
            killed_at = time.time()
            leader.process.send_signal(signal.SIGKILL)
            await leader.process.wait()
            in_flight = await _in_flight(url)
            try:
                await until(lambda: _sent_all(url, recipients), 600, "the standby to finish")
                finished_at = time.time()
                await asyncio.sleep(1.0)
            finally:
                await standby.stop()
            events = await _events(sandbox.control_url)
            per_chat, _, _ = await broadcast._sandbox_counts(sandbox.control_url)
            took_over = standby.leads
    sends = sorted(e["at"] for e in events if e["method"] == "sendMessage")
    resumed = min(at for at in sends if at > killed_at) - killed_at
    lost, duplicates = broadcast._quality(per_chat, recipients)
    if not took_over:
        raise RuntimeError("the standby never led")
    return {
        "resumed": resumed,
        "finished": finished_at - killed_at,
        "in_flight": in_flight,
        "duplicates": duplicates,
        "lost": lost,
    }


async def _sent_at_least(url: str, count: int) -> bool:
    return await _sent(url) >= count


async def _in_flight(url: str) -> int:
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status == DeliveryStatus.SENDING)
            )
    finally:
        await engine.dispose()
    return int(count or 0)


async def _p7(server: str) -> list[str]:
    series = _series([await _failover_once(server) for _ in range(RUNS)])
    return [
        f"{broadcast.RECIPIENTS} recipients as in P6; a leader and a hot standby with the default "
        "settings (LEADER_CHECK_SECONDS=1, LEASE_SECONDS=15). The leader is killed with "
        "`kill -9` once a third is sent. *Resumed*: from the kill to the next message the "
        "sandbox accepted (the standby took the lock, and sent pending rows at once). "
        "*In flight*: rows the dead leader had claimed (`sending`), which come back only when "
        "their lease runs out; *finished*: from the kill to the last delivery recorded.",
        "",
        "| sending resumed after (s) | broadcast finished after (s) | in flight at the kill "
        "| duplicates | lost |",
        "|---|---|---|---|---|",
        f"| {series['resumed'].cell(2)} | {series['finished'].cell(1)} | "
        f"{series['in_flight'].cell(0)} | {series['duplicates'].cell(0)} | "
        f"{series['lost'].cell(0)} |",
        "",
        "Duplicates can only come from the rows in flight at the kill (sent, but their outcome "
        "not yet recorded); the rest of the broadcast is never resent.",
    ]


# --- P8: webhook ingest ---------------------------------------------------------------------


@dataclass
class RoundRobin:
    """One public URL in front of the workers (what Caddy does in deploy/)."""

    upstreams: list[int]
    port: int
    served: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._turn: Iterator[int] = itertools.cycle(self.upstreams)
        self._http: ClientSession | None = None

    async def forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.startswith("X-Telegram")}
        headers["Content-Type"] = "application/json"
        for _ in self.upstreams:
            upstream = next(self._turn)
            try:
                async with self._http.post(
                    f"http://127.0.0.1:{upstream}{request.path}", data=body, headers=headers
                ) as answer:
                    self.served[upstream] = self.served.get(upstream, 0) + 1
                    return web.Response(status=answer.status)
            except OSError:
                continue
        return web.Response(status=502)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        app = web.Application()
        app.router.add_post("/hook", self.forward)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        async with ClientSession() as http:
            self._http = http
            try:
                yield
            finally:
                await runner.cleanup()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _ingest_once(server: str, workers: int) -> dict[str, float]:
    """1000 `/baocao N` queued in the sandbox, delivered by webhook through the proxy."""
    expected = report_ingest.HEADS * report_ingest.REPORTS_PER_HEAD
    with tempfile.TemporaryDirectory(prefix="binhdan-bench-") as tmp:
        folder = Path(tmp)
        proxy = RoundRobin([_free_port() for _ in range(workers)], _free_port())
        async with (
            fresh_database(server) as url,
            sandbox_process("--unlimited") as sandbox,
            proxy.running(),
        ):
            await report_ingest._seed(url)
            from bot.sandbox.client import SandboxClient

            client = SandboxClient(sandbox.control_url)
            after = await report_ingest._push_reports(client)
            common = {
                "WEBHOOK_URL": f"http://127.0.0.1:{proxy.port}/hook",
                "WEBHOOK_SECRET": SECRET,
                "SEND_RATE_PER_SECOND": "1000000",
                "SEND_CHAT_INTERVAL_SECONDS": "0",
                "USER_BURST": "1000000",
            }
            bots = [
                await start_bot(sandbox, url, folder, WEBHOOK_LISTEN=f"127.0.0.1:{port}", **common)
                for port in proxy.upstreams
            ]
            try:
                replies = await client.events(after=after, count=expected, wait=600)
            finally:
                for bot in bots:
                    await bot.stop()
                await client.aclose()
            [webhook] = await _calls(sandbox.control_url, "setWebhook")
            stored = await _count_reports(url)
    if len(replies) < expected or stored != expected:
        raise RuntimeError(f"{len(replies)} replies, {stored} reports of {expected}")
    elapsed = max(e["at"] for e in replies) - webhook["at"]
    return {"rate": expected / elapsed, "spread": min(proxy.served.values()) / expected}


async def _count_reports(url: str) -> int:
    engine = make_engine(url)
    try:
        async with make_session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(Report)) or 0)
    finally:
        await engine.dispose()


async def _p8(server: str) -> list[str]:
    rows = []
    for workers in (1, 2):
        series = _series([await _ingest_once(server, workers) for _ in range(RUNS)])
        rows.append(f"| {workers} | {series['rate'].cell()} |")
    expected = report_ingest.HEADS * report_ingest.REPORTS_PER_HEAD
    return [
        f"P2's {expected} reports ({report_ingest.HEADS} heads × "
        f"{report_ingest.REPORTS_PER_HEAD} `/baocao N`), queued in the sandbox before the "
        "workers start; the leader sets the webhook and the sandbox posts them, as Telegram "
        "does, through a round-robin proxy (in the benchmark's process) to the workers, which "
        "store each update in the inbox, answer 200, then process each chat in the worker "
        "holding it. Timed from `setWebhook` to the last reply; every run checks that "
        f"exactly {expected} reports were stored. Flood limits lifted, as in P2.",
        "",
        "| workers | reports/s, median (min–max) |",
        "|---|---|",
        *rows,
        "",
        "The sandbox delivers one update at a time and waits for the answer (Telegram may "
        "open up to 40 connections), so ingest is bounded by one receive-and-store round trip "
        "(proxy → worker → one INSERT in PostgreSQL → 200); a second worker shares the "
        "processing, not the delivery. A second worker is there for fail-over, not speed, "
        "at this size.",
    ]


# --- P9: /thongke at 100,000 units on PostgreSQL ---------------------------------------------

SIZES = (45, 2_400, 100_000)
WEEKS = 52


async def _fill(url: str, units: int) -> None:
    """Units, 52 weekly reports each and the current figures, by COPY (not measured)."""
    from bench.stats_query import NOW, TZ

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        now = NOW
        await connection.copy_records_to_table(
            "units",
            records=[
                (
                    i,
                    f"U{i:06d}",
                    f"Thôn {i}",
                    "thon" if i % 5 else "buon",
                    500 + i % 900,
                    True,
                    now,
                    now,
                )
                for i in range(1, units + 1)
            ],
            columns=["id", "code", "name", "kind", "adults", "active", "created_at", "updated_at"],
        )
        weeks = [NOW - timedelta(days=7 * (WEEKS - 1 - week)) for week in range(WEEKS)]
        keys = [period_at(at, "weekly", TZ).key for at in weeks]

        def reports(first: int, last: int) -> Iterator[tuple[object, ...]]:
            for unit in range(first, last):
                for week in range(WEEKS):
                    yield (
                        unit,
                        keys[week],
                        5 * week + unit % 7,
                        week,
                        False,
                        "",
                        False,
                        weeks[week],
                        False,
                    )

        step = 20_000
        for first in range(1, units + 1, step):
            await connection.copy_records_to_table(
                "reports",
                records=reports(first, min(first + step, units + 1)),
                columns=[
                    "unit_id",
                    "period_key",
                    "enrolled",
                    "completed",
                    "is_correction",
                    "reporter_name",
                    "on_behalf",
                    "reported_at",
                    "completed_carried",
                ],
            )
        last = WEEKS - 1
        await connection.copy_records_to_table(
            "unit_progress",
            records=[
                (
                    unit,
                    5 * last + unit % 7,
                    last,
                    weeks[last],
                    "",
                    keys[last],
                    5 * (last - 1) + unit % 7,
                )
                for unit in range(1, units + 1)
            ],
            columns=PROGRESS_COLUMNS,
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def _time_summary(url: str, repeats: int) -> list[float]:
    """Milliseconds of the /thongke summary, warm (the first run is dropped)."""
    from bench.stats_query import NOW, TZ

    engine = make_engine(url)
    factory = make_session_factory(engine)
    timings = []
    try:
        for _ in range(repeats + 1):
            started = time.perf_counter()
            async with factory() as session:
                await commune_summary(session, NOW, TZ, "weekly")
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
    return timings[1:]


async def _p9(server: str) -> list[str]:
    rows = []
    for size in SIZES:
        async with fresh_database(server) as url:
            await _fill(url, size)
            timings = await _time_summary(url, 5)
        rows.append(
            f"| {size:,} | {size * WEEKS:,} | {statistics.median(timings):.1f} "
            f"({min(timings):.1f}–{max(timings):.1f}) |"
        )
    return [
        "P3's query (the `/thongke` summary over `unit_progress`) on PostgreSQL, same data "
        "(52 weekly reports per unit), warm cache, through SQLAlchemy async + asyncpg, the "
        "client on the same machine as the server.",
        "",
        "| units | reports | ms, median (min–max) |",
        "|---|---|---|",
        *rows,
    ]


# --- the section ----------------------------------------------------------------------------


async def run() -> Section:
    """P6–P9 on one PostgreSQL server (configured, or a throwaway cluster)."""
    async with postgres() as server:
        if server is None:
            return Section(
                "P6–P9 — several processes on PostgreSQL",
                [
                    "Skipped: no PostgreSQL. Set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to "
                    "a server where the user may CREATE DATABASE, or install the server so "
                    f"that `{shlex.quote('.ci/pg-cluster.sh')} start` can run a throwaway one."
                ],
            )
        facts = (
            f"PostgreSQL {await server_version(server)} on 127.0.0.1 (a throwaway cluster of "
            "`.ci/pg-cluster.sh`: fsync off), asyncpg "
            f"{version('asyncpg')}; 3 runs each, median (min–max)."
        )
        body = [facts, ""]
        for title, part in (
            ("### P6 — broadcast with two processes", _p6),
            ("### P7 — fail-over after `kill -9` of the leader mid-broadcast", _p7),
            ("### P8 — webhook ingest, one and two workers", _p8),
            ("### P9 — `/thongke` on PostgreSQL", _p9),
        ):
            print(f"  {title.removeprefix('### ')}…", flush=True)
            body += [title, "", *await part(server), ""]
    return Section("P6–P9 — several processes on PostgreSQL", body)
