"""Storing reports in batches: one read and one insert per batch, each update stored once.

Handlers of different chats run concurrently; `ReportWriter` gathers what they submit within
one event-loop turn into a single transaction (group commit). Every caller still gets its
answer only after the commit, so a reply never promises a figure that could be lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import noload

from bot.services.broadcasts.directives import OutboxSignal
from bot.services.common.audit import record_event
from bot.services.recognition.milestones import Reached, milestones_of_report, record_milestones
from bot.services.reports.periods import Period, period_at
from bot.services.reports.reports import (
    Echo,
    Figures,
    Reporter,
    Target,
    carry_completed,
    decreases,
    find_by_update,
    latest_report,
)
from models import Report, UnitProgress, upsert
from models.db import Database

logger = logging.getLogger(__name__)
MAX_BATCH = 64
BATCH_ORDER_BASE = 1 << 62


@dataclass(frozen=True)
class Submission:
    """Stored (with its echo) or, for lower figures without a reason, waiting for confirmation."""

    report_id: int | None
    echo: Echo | None
    previous: Figures | None
    # Milestones (50 %, the target) this report reached for the first time: congratulate.
    milestones: tuple[Reached, ...] = ()

    @property
    def needs_confirmation(self) -> bool:
        """The figures go down and were not stored."""
        return self.report_id is None


def _figures(report: Report | None) -> Figures | None:
    """A stored report's figures."""
    return Figures(report.enrolled, report.completed) if report is not None else None


def _stored(report: Report, echo: Echo, previous: Report | None) -> Submission:
    """A submission that was stored."""
    return Submission(report.id, echo, _figures(previous))


@dataclass(frozen=True)
class Request:
    """One report to store."""

    target: Target
    figures: Figures
    reporter: Reporter
    update_id: int | None
    now: datetime
    correction_reason: str | None = None


@dataclass
class _UnitState:
    """A unit's reports as known during one batch: from the database, then from the batch."""

    reports: list[tuple[int, Report]] = field(default_factory=list)

    def add(self, report: Report) -> None:
        """Remember a report; rows not yet inserted sort after every stored id, in batch order."""
        order = report.id if report.id is not None else BATCH_ORDER_BASE + len(self.reports)
        self.reports.append((order, report))

    def newest(self, before: datetime | None = None) -> Report | None:
        """The newest report, optionally the newest before an instant."""
        candidates = [
            (r.reported_at, order, r)
            for order, r in self.reports
            if before is None or r.reported_at < before
        ]
        return max(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else None


def _newest_ids(
    unit_ids: BindParameter[Any], before: BindParameter[Any] | None = None
) -> Select[tuple[int]]:
    """The id of each unit's newest report (before an instant, if given).

    One window over the batch's units (ix_reports_unit_id_reported_at serves it).
    """
    rank = (
        func.row_number()
        .over(partition_by=Report.unit_id, order_by=(Report.reported_at.desc(), Report.id.desc()))
        .label("rank")
    )
    ranked = select(Report.id, rank).where(Report.unit_id.in_(unit_ids))
    if before is not None:
        ranked = ranked.where(Report.reported_at < before)
    window = ranked.subquery()
    return select(window.c.id).where(window.c.rank == 1)


@functools.cache
def _state_query(starts: int) -> Select[tuple[Report]]:
    """The batch's state query for `starts` period starts, built once per shape.

    Each unit's newest report, its newest before each start, and the rows of the given
    updates. Building the statement cost more than running it; bound parameters (expanding
    lists for the units and updates) let one statement serve every batch of that shape.
    """
    units: BindParameter[Any] = bindparam("unit_ids", expanding=True)
    condition: ColumnElement[bool] = Report.id.in_(_newest_ids(units))
    for index in range(starts):
        start = bindparam(f"start_{index}", type_=Report.reported_at.type)
        condition = condition | Report.id.in_(_newest_ids(units, start))
    condition = condition | Report.source_update_id.in_(bindparam("update_ids", expanding=True))
    # The unit is known already (the request carries it): no join to units.
    return select(Report).where(condition).options(noload(Report.unit))


async def _read_state(
    session: AsyncSession, requests: list[Request], periods: list[Period], tz: ZoneInfo
) -> tuple[dict[int, _UnitState], dict[int, Report]]:
    """Each unit's newest report and newest before its period, plus rows of these updates."""
    # Usually one period for the whole batch; a batch across midnight of a period's end has two.
    starts = sorted({period.start(tz) for period in periods})
    values: dict[str, Any] = {
        "unit_ids": sorted({request.target.unit_id for request in requests}),
        "update_ids": [r.update_id for r in requests if r.update_id is not None],
    }
    values.update({f"start_{index}": start for index, start in enumerate(starts)})
    states: dict[int, _UnitState] = defaultdict(_UnitState)
    by_update: dict[int, Report] = {}
    for row in await session.scalars(_state_query(len(starts)), values):
        states[row.unit_id].add(row)
        if row.source_update_id is not None:
            by_update[row.source_update_id] = row
    return states, by_update


def _new_row(request: Request, period: Period, previous: Report | None) -> Report:
    """The row a request would store (keeping the last completed figure if none was given)."""
    completed, carried = carry_completed(request.figures, previous)
    return Report(
        unit_id=request.target.unit_id,
        period_key=period.key,
        enrolled=request.figures.enrolled,
        completed=completed,
        completed_carried=carried,
        note=None,
        is_correction=request.correction_reason is not None,
        correction_reason=request.correction_reason,
        reporter_user_id=request.reporter.user_id,
        reporter_name=request.reporter.name,
        on_behalf=request.target.on_behalf,
        source_update_id=request.update_id,
        reported_at=request.now,
    )


REPORT_COLUMNS = [c for c in Report.__table__.columns if c.key != "id"]
PROGRESS_COLUMNS = list(UnitProgress.__table__.columns)


async def _insert_rows(session: AsyncSession, rows: list[Report]) -> list[tuple[int, int]]:
    """INSERT … ON CONFLICT (source_update_id) DO NOTHING, then the ids by update id.

    Only rows with an update id go through here. One statement, compiled once, runs with every
    row's values; a row another process stored first keeps that process's id.
    """
    statement = upsert.compiled_once(
        session,
        "reports.insert",
        lambda: upsert.insert(session, Report).on_conflict_do_nothing(
            index_elements=["source_update_id"]
        ),
        REPORT_COLUMNS,
    )
    values = [{c.key: getattr(row, c.key) for c in REPORT_COLUMNS} for row in rows]
    await session.execute(statement, values)
    stored = await session.execute(
        _ids_of_updates(), {"update_ids": [row.source_update_id for row in rows]}
    )
    return [(row_id, update_id) for row_id, update_id in stored.all()]


@functools.cache
def _ids_of_updates() -> Select[tuple[int, int | None]]:
    """The report ids stored under the given update ids (built once, bound per batch)."""
    update_ids: BindParameter[Any] = bindparam("update_ids", expanding=True)
    return select(Report.id, Report.source_update_id).where(Report.source_update_id.in_(update_ids))


async def _move_progress(session: AsyncSession, rows: list[Report]) -> None:
    """Move each unit's current figures forward (newest row per unit; older rows never win)."""
    newest: dict[int, Report] = {}
    for row in rows:
        if row.unit_id not in newest or row.reported_at >= newest[row.unit_id].reported_at:
            newest[row.unit_id] = row
    values = [
        {
            "unit_id": r.unit_id,
            "enrolled": r.enrolled,
            "completed": r.completed,
            "reported_at": r.reported_at,
            "reporter_name": r.reporter_name,
            "period_key": r.period_key,
            "before_enrolled": None,
        }
        for r in newest.values()
    ]
    statement = upsert.compiled_once(
        session, "unit_progress.upsert", lambda: _progress_statement(session), PROGRESS_COLUMNS
    )
    await session.execute(statement, values)


def _progress_statement(session: AsyncSession) -> Any:
    """The upsert of one unit's current figures (run with every unit's values at once)."""
    statement = upsert.insert(session, UnitProgress)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["unit_id"],
        set_={
            # Entering a new period: what stood until now is the "before" of the new period.
            "before_enrolled": case(
                (UnitProgress.period_key != new.period_key, UnitProgress.enrolled),
                else_=UnitProgress.before_enrolled,
            ),
            "enrolled": new.enrolled,
            "completed": new.completed,
            "reported_at": new.reported_at,
            "reporter_name": new.reporter_name,
            "period_key": new.period_key,
        },
        where=new.reported_at >= UnitProgress.reported_at,
    )


def echo_for(report: Report, target: Target, before: Report | None, period: Period) -> Echo:
    """What to repeat back for a stored report."""
    return Echo(
        unit_name=target.unit_name,
        enrolled=report.enrolled,
        completed=report.completed,
        change=report.enrolled - before.enrolled if before else None,
        percent=100.0 * report.enrolled / target.adults if target.adults else None,
        period=period,
        is_correction=report.is_correction,
        completed_carried=report.completed_carried,
    )


async def _replay(
    session: AsyncSession, report: Report, target: Target, period_kind: str, tz: ZoneInfo
) -> Submission:
    """The same echo as when `report` was first stored."""
    period = period_at(report.reported_at, period_kind, tz)
    before = await latest_report(session, target.unit_id, before=period.start(tz))
    milestones = await milestones_of_report(session, report.id)
    return Submission(report.id, echo_for(report, target, before, period), None, milestones)


async def submit_batch(
    session: AsyncSession,
    requests: list[Request],
    period_kind: str,
    tz: ZoneInfo,
    target_percent: float | None = None,
) -> list[Submission]:
    """Decide and store a batch in the caller's transaction: two statements on the hot path.

    Requests are judged in order, each seeing the ones before it, exactly as if they had been
    stored one by one. A redelivered update gets its stored row back and stores nothing. With
    `target_percent`, a report that crosses 50 % or the target for the first time records the
    milestone in this same transaction (see bot/services/recognition/milestones.py).
    """
    periods = [period_at(r.now, period_kind, tz) for r in requests]
    states, by_update = await _read_state(session, requests, periods, tz)
    results: list[Submission | None] = [None] * len(requests)
    pending: list[tuple[int, Report, Report | None, Report | None]] = []
    for index, (request, period) in enumerate(zip(requests, periods, strict=True)):
        if request.update_id is not None and request.update_id in by_update:
            results[index] = await _replay(
                session, by_update[request.update_id], request.target, period_kind, tz
            )
            continue
        state = states[request.target.unit_id]
        previous = state.newest()
        if request.correction_reason is None and decreases(previous, request.figures):
            results[index] = Submission(None, None, _figures(previous))
            continue
        row = _new_row(request, period, previous)
        state.add(row)
        pending.append((index, row, previous, state.newest(before=period.start(tz))))
    if pending:
        await _insert(session, requests, periods, pending, results, period_kind, tz)
        if target_percent is not None:
            await _milestones(session, requests, pending, results, target_percent)
    assert all(result is not None for result in results)
    return [result for result in results if result is not None]


async def _insert(
    session: AsyncSession,
    requests: list[Request],
    periods: list[Period],
    pending: list[tuple[int, Report, Report | None, Report | None]],
    results: list[Submission | None],
    period_kind: str,
    tz: ZoneInfo,
) -> None:
    """Insert the accepted rows at once and fill in their results."""
    keyed = [row for _, row, _, _ in pending if row.source_update_id is not None]
    ids: dict[int | None, int] = {}
    if keyed:
        ids = {update_id: row_id for row_id, update_id in await _insert_rows(session, keyed)}
    for _, row, _, _ in pending:
        if row.source_update_id is None:
            session.add(row)
            await session.flush()
            ids[None] = row.id
    stored = [
        row
        for _, row, _, _ in pending
        if row.source_update_id is None or row.source_update_id in ids
    ]
    if stored:
        await _move_progress(session, stored)
    for index, row, previous, before in pending:
        request = requests[index]
        row_id = row.id if row.source_update_id is None else ids.get(row.source_update_id)
        if row_id is None:
            # Another process stored this very update between our read and our insert.
            existing = await find_by_update(session, request.update_id)
            assert existing is not None
            results[index] = await _replay(session, existing, request.target, period_kind, tz)
            continue
        row.id = row_id
        if request.correction_reason is not None:
            # Plain reports are their own audit trail (who, when, which update); corrections
            # also go to the audit log because they overwrite what the commune saw.
            record_event(
                session,
                request.reporter.user_id,
                "report.corrected",
                unit_id=request.target.unit_id,
                enrolled=row.enrolled,
                previous=previous.enrolled if previous else None,
            )
        results[index] = _stored(
            row, echo_for(row, request.target, before, periods[index]), previous
        )


async def _milestones(
    session: AsyncSession,
    requests: list[Request],
    pending: list[tuple[int, Report, Report | None, Report | None]],
    results: list[Submission | None],
    target_percent: float,
) -> None:
    """Record the milestones the stored rows crossed, and put them on their results."""
    for index, row, previous, _ in pending:
        result = results[index]
        if result is None or result.report_id != row.id or row.id is None:
            continue  # replayed: another process stored this update (and its milestones)
        request = requests[index]
        reached = await record_milestones(
            session,
            unit_id=request.target.unit_id,
            unit_name=request.target.unit_name,
            report_id=row.id,
            previous=previous.enrolled if previous is not None else None,
            enrolled=row.enrolled,
            adults=request.target.adults,
            target_percent=target_percent,
            actor_user_id=request.reporter.user_id,
            now=request.now,
        )
        if reached:
            results[index] = replace(result, milestones=reached)


class ReportWriter:
    """Group commit: one transaction for all reports submitted at about the same moment."""

    def __init__(
        self,
        db: Database,
        period_kind: str,
        tz: ZoneInfo,
        *,
        target_percent: float | None = None,
        outbox: OutboxSignal | None = None,
    ) -> None:
        """Prepare the queue; `start` launches the worker.

        With `target_percent`, milestones are checked with every report; their line to the
        officers is an outbox row, and `outbox` is woken when one was queued.
        """
        self._db = db
        self._period_kind = period_kind
        self._tz = tz
        self._target_percent = target_percent
        self._outbox = outbox
        self._queue: asyncio.Queue[tuple[Request, asyncio.Future[Submission]]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Launch the worker task."""
        self._worker = asyncio.create_task(self._run(), name="report-writer")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._worker is None:
            return
        await self._queue.join()
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        self._worker = None

    async def submit(self, request: Request) -> Submission:
        """Queue a report and wait until it is committed (or judged a decrease)."""
        future: asyncio.Future[Submission] = asyncio.get_running_loop().create_future()
        await self._queue.put((request, future))
        return await future

    async def _run(self) -> None:
        """Take everything queued, up to MAX_BATCH, and write it in one transaction."""
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _write(self, batch: list[tuple[Request, asyncio.Future[Submission]]]) -> None:
        """Write one batch; on failure every caller gets the exception (nothing is stored)."""
        requests = [request for request, _ in batch]
        try:
            async with self._db.write() as session:
                results = await submit_batch(
                    session, requests, self._period_kind, self._tz, self._target_percent
                )
        except Exception as error:
            logger.exception("Could not store a batch of %d reports", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        if self._outbox is not None and any(result.milestones for result in results):
            self._outbox.wake()
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
