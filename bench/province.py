"""P10: a province on PostgreSQL: the province's and a commune's /thongke, and a broadcast to all.

A synthetic province of 102 communes × 30 units (27 thôn/buôn, 3 agencies) × 2 heads, with 52
weeks of weekly reports, is bulk-loaded by COPY (not measured) into a fresh database migrated by
Alembic, as P6–P9 do. PostgreSQL comes from BENCH_DATABASE_URL or TEST_DATABASE_URL, or a
throwaway cluster of `.ci/pg-cluster.sh` (bench/workers.py's `postgres()`).

The statistics are the services the handlers call (`province_view`, and `overview` inside
`scope.narrowed`, as a commune officer's update is); the broadcast is a real `binhdan run`
process against the sandbox, in its own process with Telegram's limits on, as in P1 and P6.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from telegram import Bot

from bench import broadcast, workers
from bench.common import SandboxProcess, Section, Series, sandbox_process
from bench.stats_query import NOW, TZ
from bot.sandbox.client import SandboxClient
from bot.services.broadcasts.audience import Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import create_directive
from bot.services.reports.periods import DeadlineRule, period_at
from bot.services.stats.province import province_view
from bot.services.stats.stats import overview
from bot.settings import Settings
from models import Delivery, DeliveryStatus, scope
from models.base import utcnow
from models.db import Database, open_database

TITLE = "P10 — a province on PostgreSQL"
COMMUNES = 102
UNITS = 30  # per commune
AGENCIES = 3  # of a commune's units; the others are thôn/buôn
HEADS = 2  # per unit
WEEKS = 52
RECIPIENTS = COMMUNES * UNITS * HEADS
FIRST_COMMUNE_CODE = 24_001
FIRST_HEAD = 8_000_000
FIRST_OFFICER = 7_900_000  # one commune officer per commune, FIRST_OFFICER + commune
PROVINCE_OFFICER = 7_899_999  # the sender: a province officer, scoped to nothing
# The commune a commune officer looks at: one in the middle, not a lagging one.
CHOSEN = 52
# The default deadline (Friday 17:00), as Settings has it.
DEADLINE = DeadlineRule(weekday=4, day=14, time="17:00")

RUNS = 3
CALLS = 15  # calls of each service per run (after warm-up calls), alternating
WARM_UP = 3
BROADCAST_RUNS = 3
TARGETS = {"province": 200.0, "commune": 50.0}
RATE_TARGET = 29.0


# --- the synthetic province -----------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    """One unit as loaded: its commune's number, place in the commune and weekly figures."""

    unit_id: int
    commune: int
    place: int
    adults: int
    weekly: list[int]  # enrolled, cumulative, week by week
    reported_now: bool  # reported in the current period (week 52), or last in week 51

    @property
    def kind(self) -> str:
        """The last AGENCIES places are agencies; every fourth of the rest a buôn."""
        if self.place >= UNITS - AGENCIES:
            return "co_quan" if self.place % 2 else "truong_hoc"
        return "buon" if self.place % 4 == 3 else "thon"

    @property
    def code(self) -> str:
        """Unique in the province: the commune's code and the place."""
        return f"{FIRST_COMMUNE_CODE + self.commune - 1}-{self.place + 1:02d}"

    @property
    def last_week(self) -> int:
        """The index of the unit's latest report."""
        return WEEKS - 1 if self.reported_now else WEEKS - 2


def _units(communes: list[int]) -> list[UnitRow]:
    """The units of the given communes, numbered from 1, with varied shares and completeness."""
    rows: list[UnitRow] = []
    for commune in communes:
        # Every ninth commune is lagging: fewer than half of its units reported this period.
        reporting = 3 if commune % 9 == 0 else 8
        for place in range(UNITS):
            serial = (commune - 1) * UNITS + place + 1
            agency = place >= UNITS - AGENCIES
            adults = 20 + serial * 13 % 40 if agency else 300 + serial * 37 % 1200
            share = 0.15 + serial * 53 % 70 / 100
            weekly = [int(adults * share * (week + 1) / WEEKS) for week in range(WEEKS)]
            rows.append(
                UnitRow(len(rows) + 1, commune, place, adults, weekly, place % 10 < reporting)
            )
    return rows


async def _load(url: str, communes: list[int], *, province: bool) -> list[UnitRow]:
    """Communes (in a province), units, heads, officers, reports and current figures by COPY.

    Without `province` the same units form a one-commune deployment: no commune rows, and no
    unit or officer has a commune, as before issue 25.
    """
    units = _units(communes)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    now = NOW
    weeks = [NOW - timedelta(days=7 * (WEEKS - 1 - week)) for week in range(WEEKS)]
    keys = [period_at(at, "weekly", TZ).key for at in weeks]
    try:
        if province:
            await connection.copy_records_to_table(
                "communes",
                records=[(c, f"{FIRST_COMMUNE_CODE + c - 1}", f"Xã số {c}", now) for c in communes],
                columns=["id", "code", "name", "created_at"],
            )
        await connection.copy_records_to_table(
            "units",
            records=[
                (
                    u.unit_id,
                    u.code,
                    f"Thôn {u.place + 1} xã {u.commune}",
                    u.kind,
                    u.adults,
                    True,
                    u.commune if province else None,
                    now,
                    now,
                )
                for u in units
            ],
            columns=[
                "id",
                "code",
                "name",
                "kind",
                "adults",
                "active",
                "commune_id",
                "created_at",
                "updated_at",
            ],
        )
        await connection.copy_records_to_table(
            "contacts",
            records=list(_contacts(units, communes, province=province)),
            columns=[
                "telegram_user_id",
                "chat_id",
                "display_name",
                "unit_id",
                "role",
                "commune_id",
                "status",
                "created_at",
                "updated_at",
            ],
        )

        def reports() -> Iterator[tuple[object, ...]]:
            for u in units:
                for week in range(u.last_week + 1):
                    enrolled = u.weekly[week]
                    yield (u.unit_id, keys[week], enrolled, enrolled // 3, weeks[week])

        await connection.copy_records_to_table(
            "reports",
            records=[(*row, False, "", False, False) for row in reports()],
            columns=[
                "unit_id",
                "period_key",
                "enrolled",
                "completed",
                "reported_at",
                "is_correction",
                "reporter_name",
                "on_behalf",
                "completed_carried",
            ],
        )
        await connection.copy_records_to_table(
            "unit_progress",
            records=[
                (
                    u.unit_id,
                    u.weekly[u.last_week],
                    u.weekly[u.last_week] // 3,
                    weeks[u.last_week],
                    "",
                    keys[u.last_week],
                    u.weekly[u.last_week - 1],
                )
                for u in units
            ],
            columns=workers.PROGRESS_COLUMNS,
        )
        # Ids were given explicitly: move the sequences past them, as an import would leave them.
        for table in ("communes", "units"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return units


def _contacts(
    units: list[UnitRow], communes: list[int], *, province: bool
) -> Iterator[tuple[object, ...]]:
    """Two heads per unit (no commune: a head is scoped by its unit), and the officers."""
    now = NOW
    for u in units:
        for head in range(HEADS):
            user = FIRST_HEAD + (u.unit_id - 1) * HEADS + head
            yield (user, user, f"Trưởng thôn {user}", u.unit_id, "head", None, "active", now, now)
    for commune in communes:
        user = FIRST_OFFICER + commune
        scoped = commune if province else None
        yield (user, user, f"Cán bộ xã {commune}", None, "officer", scoped, "active", now, now)
    if province:
        user = PROVINCE_OFFICER
        yield (user, user, "Cán bộ tỉnh", None, "officer", None, "active", now, now)


# --- /thongke: the province, a commune narrowed to itself, and a one-commune deployment -------


async def _ms(call: Callable[[], Awaitable[object]]) -> float:
    """Milliseconds of one call."""
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def _stats(server: str) -> dict[str, Series]:
    """Each service CALLS times per run, alternating, on warm connections; one median per run."""
    async with (
        workers.fresh_database(server) as province_url,
        workers.fresh_database(server) as single_url,
    ):
        await _load(province_url, list(range(1, COMMUNES + 1)), province=True)
        await _load(single_url, [CHOSEN], province=False)
        province_db, single_db = open_database(province_url), open_database(single_url)
        try:
            await _check(province_db, single_db)

            async def whole_province() -> object:
                return await province_view(province_db, NOW, TZ, "weekly", DEADLINE)

            async def narrowed_commune() -> object:
                # What the access gate does for a commune officer's update.
                with scope.narrowed(CHOSEN):
                    return await overview(province_db, NOW, TZ, "weekly")

            async def single_commune() -> object:
                return await overview(single_db, NOW, TZ, "weekly")

            calls = {
                "province": whole_province,
                "commune": narrowed_commune,
                "single": single_commune,
            }
            gathered = {name: Series(name, "ms") for name in calls}
            for call in calls.values():
                for _ in range(WARM_UP):  # pools, prepared statements, the server's cache
                    await call()
            order = list(calls)
            for _ in range(RUNS):
                timings: dict[str, list[float]] = {name: [] for name in calls}
                for i in range(CALLS):
                    # Rotate the order so no service always runs first or last.
                    for name in order[i % 3 :] + order[: i % 3]:
                        timings[name].append(await _ms(calls[name]))
                for name, values in timings.items():
                    gathered[name].values.append(statistics.median(values))
        finally:
            await province_db.close()
            await single_db.close()
    return gathered


async def _check(province_db: Database, single_db: Database) -> None:
    """The services see what was loaded: 102 lines, the commune's 30 units, and the same 30."""
    view = await province_view(province_db, NOW, TZ, "weekly", DEADLINE)
    if len(view.communes) != COMMUNES or sum(line.units for line in view.communes) != (
        COMMUNES * UNITS
    ):
        raise RuntimeError(f"province view: {len(view.communes)} communes")
    with scope.narrowed(CHOSEN):
        narrowed, narrowed_units = await overview(province_db, NOW, TZ, "weekly")
    single, single_units = await overview(single_db, NOW, TZ, "weekly")
    if len(narrowed_units) != UNITS or len(single_units) != UNITS:
        raise RuntimeError(f"units: {len(narrowed_units)} narrowed, {len(single_units)} single")
    if (narrowed.enrolled, narrowed.residential_reported) != (
        single.enrolled,
        single.residential_reported,
    ):
        raise RuntimeError("the narrowed commune and the one-commune deployment differ")


def _verdict(series: Series, target: float) -> str:
    """The target, and whether the median meets it."""
    return f"≤ {target:.0f} {'✅' if series.median <= target else '❌'}"


def _stats_lines(series: dict[str, Series]) -> list[str]:
    """The /thongke table and the scoping ratio."""
    ratios = Series(
        "ratio",
        "",
        [a / b for a, b in zip(series["commune"].values, series["single"].values, strict=True)],
    )
    return [
        f"Services as the handlers call them, on warm connections; each run calls each service "
        f"{CALLS} times, alternating, and keeps the median; the table gives the median of "
        f"{RUNS} runs (min–max). Each call is a whole read snapshot (BEGIN REPEATABLE READ, "
        "the statements, COMMIT).",
        "",
        "| `/thongke` for | service | units | ms, median (min–max) | target (ms) |",
        "|---|---|---|---|---|",
        f"| the province (a province officer) | `province_view`, one line per commune | "
        f"{COMMUNES * UNITS:,} in {COMMUNES} communes | {series['province'].cell(2)} | "
        f"{_verdict(series['province'], TARGETS['province'])} |",
        f"| one commune, narrowed to it (a commune officer) | `overview` inside "
        f"`scope.narrowed` | {UNITS} of {COMMUNES * UNITS:,} | {series['commune'].cell(2)} | "
        f"{_verdict(series['commune'], TARGETS['commune'])} |",
        f"| the same commune alone (peer: a one-commune deployment, no communes) | `overview`, "
        f"unscoped | {UNITS} | {series['single'].cell(2)} | — |",
        "",
        f"Scoping's cost to a commune officer: narrowed / alone = **{ratios.cell(2)}×** "
        "(per run, median (min–max)).",
    ]


# --- a broadcast to every head ----------------------------------------------------------------


async def _control_message(sandbox: SandboxProcess) -> int:
    """The sender's preview, as /thongbao leaves it: the message the progress is edited into."""
    bot = Bot(sandbox.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)
    async with bot:
        message = await bot.send_message(PROVINCE_OFFICER, "Xem trước thông báo gửi toàn tỉnh")
    return message.message_id


async def _queue(url: str, message_id: int) -> None:
    """What "📤 Gửi" queues: the directive to everyone, with its progress message."""
    db = open_database(url)
    try:
        async with db.write() as session:
            await create_directive(
                session,
                DirectiveContent("Thử toàn tỉnh", broadcast.TEXT),
                Audience.parse("all"),
                actor_user_id=PROVINCE_OFFICER,
                now=utcnow(),
                progress_chat_id=PROVINCE_OFFICER,
                progress_message_id=message_id,
            )
    finally:
        await db.close()


async def _sent(db: Database) -> int:
    """Deliveries recorded as sent."""
    async with db.read() as session:
        count = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.SENT)
        )
    return int(count or 0)


async def _wait(condition: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """Poll every half second (the database count is not free), bounded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"timed out waiting for {what}")


async def _summary_shown(control_url: str) -> bool:
    """The progress message has become the final summary."""
    async with httpx.AsyncClient(base_url=control_url, timeout=60) as http:
        answer = await http.get("/events", params={"after": 0, "chat_id": PROVINCE_OFFICER})
    return any("Đã gửi xong" in (e["text"] or "") for e in answer.json()["events"])


async def _broadcast_once(server: str) -> dict[str, float]:
    """Every head of the province, by one `binhdan run` on PostgreSQL, Telegram's limits on."""
    with tempfile.TemporaryDirectory(prefix="binhdan-bench-") as tmp:
        async with (
            workers.fresh_database(server) as url,
            sandbox_process("--latency", str(broadcast.LATENCY)) as sandbox,
        ):
            await _load(url, list(range(1, COMMUNES + 1)), province=True)
            client = SandboxClient(sandbox.control_url)
            chats = [PROVINCE_OFFICER, *range(FIRST_HEAD, FIRST_HEAD + RECIPIENTS)]
            for start in range(0, len(chats), 5000):
                await client.open_chats(chats[start : start + 5000])
            await client.aclose()
            control = await _control_message(sandbox)
            await _queue(url, control)
            db = open_database(url)
            bot = await workers.start_bot(sandbox, url, Path(tmp))
            started = time.time()
            try:

                async def all_sent() -> bool:
                    return await _sent(db) >= RECIPIENTS

                async def summary() -> bool:
                    return await _summary_shown(sandbox.control_url)

                await _wait(all_sent, 900, "the broadcast")
                finished = time.time()
                await _wait(summary, 60, "the summary")
                await asyncio.sleep(1.0)  # a resend would show now
            finally:
                await bot.stop()
                await db.close()
            log = bot.text
            events = await workers._events(sandbox.control_url)
            refused = [
                call
                for method in ("sendMessage", "editMessageText")
                for call in await workers._calls(sandbox.control_url, method)
                if call["status"] == 429
            ]
    # What went over the limits and what the bot complained of, for whoever reads the run.
    for call in refused:
        print(f"    429: {call['method']} to {call['params'].get('chat_id')} at {call['at']:.3f}")
    complaints = [line for line in log.splitlines() if " WARNING " in line or " ERROR " in line]
    for line in complaints[:10]:
        print(f"    log: {line[:200]}")
    return _outcome(events, refused, started, finished, log)


def _outcome(
    events: list[dict[str, Any]],
    refused: list[dict[str, Any]],
    started: float,
    finished: float,
    log: str,
) -> dict[str, float]:
    """Rate while sending, 429s, lost, duplicates, and the progress edits during sending."""
    heads = range(FIRST_HEAD, FIRST_HEAD + RECIPIENTS)
    sends = [e for e in events if e["method"] == "sendMessage" and e["chat_id"] in heads]
    at = sorted(e["at"] for e in sends)
    per_chat = Counter(e["chat_id"] for e in sends)
    edits = [
        e["at"]
        for e in events
        if e["method"] == "editMessageText"
        and e["chat_id"] == PROVINCE_OFFICER
        and "Đang gửi" in (e["text"] or "")
        and at[0] <= e["at"] <= at[-1]
    ]
    gaps = [b - a for a, b in itertools.pairwise(sorted(edits))]
    seconds = at[-1] - at[0]
    return {
        "rate": (len(at) - 1) / seconds,
        # The bot's limiter and Telegram count the edits too: this is what they saw.
        "all_rate": (len(at) + len(edits) - 1) / seconds,
        "wall": RECIPIENTS / (finished - started),
        "seconds": seconds,
        "429": len(refused),
        "429_edits": sum(1 for call in refused if call["method"] == "editMessageText"),
        "lost": sum(1 for chat in heads if per_chat[chat] == 0),
        "duplicates": sum(max(per_chat[chat] - 1, 0) for chat in heads),
        "edits": len(edits),
        "edit_gap": statistics.median(gaps) if gaps else 0.0,
        "errors": log.count("Traceback") + log.count(" ERROR "),
    }


def _broadcast_lines(series: dict[str, Series]) -> list[str]:
    """The broadcast table and what it shows."""
    runs = len(series["rate"].values)
    rate, budget = series["rate"], Settings.model_fields["send_rate_per_second"].default
    return [
        f"{RECIPIENTS:,} heads ({COMMUNES} communes × {UNITS} units × {HEADS}), audience "
        "“everyone”, queued as “📤 Gửi” queues it (one INSERT … SELECT) by the province "
        "officer, with the preview as its progress message; then one `binhdan run` starts on "
        "the database and drains the outbox. The sandbox (own process) adds "
        f"{broadcast.LATENCY * 1000:.0f} ms to every call and enforces {broadcast.CEILING:.0f} "
        "msg/s global and ~1 msg/s per private chat, answering 429 above them. "
        f"{runs} run{'s' if runs > 1 else ''}, each about "
        f"{series['seconds'].median / 60:.1f} minutes of sending; lost and duplicates are "
        "counted from what the sandbox recorded per chat.",
        "",
        "| heads | messages to heads/s while sending | with the progress edits (calls/s) "
        "| % of ceiling | 429 answers (of them on edits) | lost | duplicates "
        "| “Đang gửi” edits while sending | s between edits |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {RECIPIENTS:,} | {rate.cell()} {'✅' if rate.median >= RATE_TARGET else '❌'} | "
        f"{series['all_rate'].cell()} | "
        f"{100 * series['all_rate'].median / broadcast.CEILING:.1f} | {series['429'].cell(0)} "
        f"{'✅' if series['429'].median == 0 else '❌'} ({series['429_edits'].cell(0)}) | "
        f"{series['lost'].cell(0)} | {series['duplicates'].cell(0)} | "
        f"{series['edits'].cell(0)} | {series['edit_gap'].cell(1)} |",
        "",
        f"Target: ≥ {RATE_TARGET:.0f} msg/s and no 429. The bot paces every call that puts "
        f"something in a chat, edits included, at SEND_RATE_PER_SECOND ({budget:g} by "
        "default), as Telegram counts them: the progress message's edits take their share of "
        "that budget, and the heads get the rest. Including start-up (the bot's start to the "
        f"last delivery recorded), {series['wall'].cell()} msg/s. Every run ended with the "
        "progress message edited into the summary (“✅ Đã gửi xong”); errors in the bot's "
        f"log: {series['errors'].cell(0)}.",
    ]


# --- the section ------------------------------------------------------------------------------


async def run() -> Section:
    """The /thongke services, then the broadcast, on one PostgreSQL server."""
    async with workers.postgres() as server:
        if server is None:
            return Section(
                TITLE,
                [
                    "Skipped: no PostgreSQL. Set BENCH_DATABASE_URL (or TEST_DATABASE_URL), "
                    "or install the server so that `.ci/pg-cluster.sh start` can run one."
                ],
            )
        reports = sum(u.last_week + 1 for u in _units(list(range(1, COMMUNES + 1))))
        facts = (
            f"PostgreSQL {await workers.server_version(server)} on 127.0.0.1, asyncpg "
            f"{version('asyncpg')}. A synthetic province: {COMMUNES} communes × {UNITS} units "
            f"({UNITS - AGENCIES} thôn/buôn, {AGENCIES} agencies) × {HEADS} heads = "
            f"{RECIPIENTS:,} heads, {COMMUNES} commune officers and one province officer; "
            f"{WEEKS} weeks of weekly reports ({reports:,} rows) and each unit's current "
            "figures, loaded by COPY into a fresh database migrated by Alembic (not measured). "
            "Every ninth commune is lagging (3 units in 10 reported this period, 8 in 10 "
            "elsewhere)."
        )
        print("  /thongke…", flush=True)
        stats = await _stats(server)
        gathered: dict[str, Series] = {}
        for number in range(BROADCAST_RUNS):
            print(f"  broadcast {number + 1}/{BROADCAST_RUNS}…", flush=True)
            for name, value in (await _broadcast_once(server)).items():
                gathered.setdefault(name, Series(name, "")).values.append(value)
    body = [
        facts,
        "",
        "### `/thongke`",
        "",
        *_stats_lines(stats),
        "",
        "### A directive to everyone",
        "",
        *_broadcast_lines(gathered),
    ]
    return Section(TITLE, body)
