"""P2: report ingest, end to end (update → database row → reply), against a bare PTB echo bot."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bench.common import Section, Series, bench_settings, fresh_database, repeat, sandbox_process
from bench.cpu_profile import CpuSampler
from bot.app import build_application, polling
from bot.sandbox.client import SandboxClient
from bot.services.registry.invites import create_invite, redeem_invite
from bot.services.registry.unit_import import UnitRow
from bot.services.registry.units import upsert_units
from models import Report, Role, UnitKind
from models.base import utcnow
from models.db import make_engine, make_session_factory

HEADS = 50
REPORTS_PER_HEAD = 20
FIRST_USER = 5_000_000


async def _seed(database_url: str) -> None:
    """50 thôn, each with one registered head."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    rows = [UnitRow(f"T{i:03d}", f"Thôn {i}", UnitKind.THON, 100_000) for i in range(HEADS)]
    async with factory.begin() as session:
        await upsert_units(session, rows, None)
    async with factory.begin() as session:
        from bot.services.registry.units import find_unit

        for i in range(HEADS):
            unit = await find_unit(session, f"T{i:03d}")
            invite = await create_invite(
                session,
                unit=unit,
                role=Role.HEAD,
                max_uses=1,
                ttl=timedelta(days=1),
                now=utcnow(),
                actor_user_id=None,
            )
            await session.flush()
            await redeem_invite(
                session,
                code=invite.code,
                user_id=FIRST_USER + i,
                chat_id=FIRST_USER + i,
                display_name=f"Head {i}",
                now=utcnow(),
            )
    await engine.dispose()


async def _push_reports(client: SandboxClient) -> int:
    """Queue every head's /baocao updates before the bot starts; figures rise (no decrease)."""
    after = await client.last_seq()
    for round_ in range(REPORTS_PER_HEAD):
        await asyncio.gather(
            *(client.send(FIRST_USER + i, f"/baocao {100 + round_ * 10}") for i in range(HEADS))
        )
    return after


@dataclass
class Run:
    """One timed run: how fast, and how much CPU the bot's process used per update."""

    rate: float
    cpu_ms: float


async def _time_until_answered(
    client: SandboxClient,
    after: int,
    start: Callable[[], Any],
    sampler: CpuSampler | None = None,
) -> Run:
    """Start the bot, then time until it has answered every queued update."""
    expected = HEADS * REPORTS_PER_HEAD
    sampling = sampler.sampling() if sampler is not None else contextlib.nullcontext()
    started, cpu = time.perf_counter(), time.process_time()
    with sampling:
        async with start():
            events = await client.events(after=after, count=expected, wait=300)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if len(events) < expected:
        raise RuntimeError(f"only {len(events)} of {expected} replies")
    return Run(expected / elapsed, 1000 * cpu / expected)


async def _measure_binhdan(sampler: CpuSampler | None = None) -> Run:
    """Our bot: each /baocao is parsed, checked, stored and echoed."""
    database_url, folder = await fresh_database()
    try:
        await _seed(database_url)
        async with sandbox_process("--unlimited") as sandbox:
            settings = bench_settings(
                sandbox.base_url,
                sandbox.base_file_url,
                sandbox.token,
                database_url,
                send_rate_per_second=1_000_000,
                send_chat_interval_seconds=0,
                # 20 reports per head typed in one second are a flood by design: lift the
                # per-user throttle as the flood limits are lifted (processing cost only).
                user_burst=1_000_000,
            )
            application = build_application(settings)
            client = SandboxClient(sandbox.control_url)
            after = await _push_reports(client)
            run = await _time_until_answered(client, after, lambda: polling(application), sampler)
            await client.aclose()
        stored = await _count_reports(database_url)
        if stored != HEADS * REPORTS_PER_HEAD:
            raise RuntimeError(f"stored {stored} reports")
        return run
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _count_reports(database_url: str) -> int:
    """How many report rows were stored."""
    engine = make_engine(database_url)
    async with make_session_factory(engine)() as session:
        stored = await session.scalar(select(func.count()).select_from(Report))
    await engine.dispose()
    return int(stored or 0)


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The peer: reply with the same text, nothing else."""
    assert update.message is not None
    await update.message.reply_text(update.message.text or "")


@asynccontextmanager
async def _bare_polling(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> AsyncIterator[None]:
    """Poll with a plain PTB application, as its documentation shows."""
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await application.start()
        yield
        await application.updater.stop()
        await application.stop()


async def _measure_bare_ptb(sampler: CpuSampler | None = None) -> Run:
    """A bare python-telegram-bot echo bot on the same sandbox and the same updates."""
    async with sandbox_process("--unlimited") as sandbox:
        application = (
            Application.builder()
            .token(sandbox.token)
            .base_url(sandbox.base_url)
            .base_file_url(sandbox.base_file_url)
            .build()
        )
        application.add_handler(MessageHandler(filters.ALL, _echo))
        client = SandboxClient(sandbox.control_url)
        after = await _push_reports(client)
        run = await _time_until_answered(client, after, lambda: _bare_polling(application), sampler)
        await client.aclose()
    return run


async def _profile() -> list[str]:
    """One more run of each bot, sampled: CPU per update by part (bench/cpu_profile.py)."""
    ours, bare = CpuSampler(), CpuSampler()
    our_run = await _measure_binhdan(ours)
    bare_run = await _measure_bare_ptb(bare)
    our_shares, bare_shares = ours.shares(), bare.shares()
    rows = [
        f"| {part} | {our_run.cpu_ms * share:.2f} | {bare_run.cpu_ms * bare_shares[part]:.2f} |"
        for part, share in our_shares.items()
        if share or bare_shares[part]
    ]
    return [
        "Where the CPU goes: one more run of each bot, sampled every millisecond of process "
        "CPU time (`bench/cpu_profile.py`; "
        f"{sum(ours.stacks.values())} and {sum(bare.stacks.values())} samples), "
        "in ms of CPU per update:",
        "",
        "| part | binhdan-bot | bare PTB |",
        "|---|---|---|",
        *rows,
        f"| **all (the bot's process)** | **{our_run.cpu_ms:.2f}** | **{bare_run.cpu_ms:.2f}** |",
    ]


async def run(runs: int = 3) -> Section:
    """Alternate both bots so machine noise hits them alike; then profile one run of each."""

    async def once() -> dict[str, float]:
        bare, ours = await _measure_bare_ptb(), await _measure_binhdan()
        return {
            "bare_ptb": bare.rate,
            "binhdan": ours.rate,
            "bare_cpu": bare.cpu_ms,
            "binhdan_cpu": ours.cpu_ms,
        }

    series = await repeat(runs, once)
    ours, peer = series["binhdan"], series["bare_ptb"]
    ratios = Series("ratio", "×", [o / p for o, p in zip(ours.values, peer.values, strict=True)])
    body = [
        f"{HEADS} heads × {REPORTS_PER_HEAD} `/baocao N` updates = "
        f"{HEADS * REPORTS_PER_HEAD} reports, queued in the sandbox (its own process) before the "
        "bot starts; timed from the bot's start to its last reply. Flood limits are lifted in "
        "the sandbox and in our limiter for this one, because it measures processing cost, not "
        "Telegram's ceiling. "
        f"Every run checks that exactly {HEADS * REPORTS_PER_HEAD} report rows were stored.",
        "",
        "| bot | reports/s, median (min–max) | CPU per update (ms) |",
        "|---|---|---|",
        f"| binhdan-bot (parse, check, store, echo) | {ours.cell()} "
        f"| {series['binhdan_cpu'].cell(2)} |",
        f"| bare PTB echo bot (peer) | {peer.cell()} | {series['bare_cpu'].cell(2)} |",
        f"| **ratio binhdan / bare** | **{ratios.cell(2)}** (floor ≥ 0.4) | |",
        "",
        *await _profile(),
    ]
    return Section("P2 — report ingest", body)
