"""Units: atomic import (upsert by code) and listing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.common.audit import record_event
from bot.services.common.sync import IDENTITIES, bump
from bot.services.registry.unit_import import (
    MAX_ERRORS,
    Problem,
    RowError,
    UnitFileError,
    UnitRow,
    parse_unit_table,
    read_table,
)
from models import Commune, Unit
from models.db import Database


@dataclass(frozen=True)
class ImportResult:
    """How many units an import created and updated."""

    created: int
    updated: int


async def _stored(session: AsyncSession, rows: Sequence[UnitRow]) -> dict[str, Unit]:
    """The stored units the rows name, by lower-case code: codes match as people type them."""
    codes = [row.code.lower() for row in rows]
    found = await session.scalars(select(Unit).where(func.lower(Unit.code).in_(codes)))
    return {unit.code.lower(): unit for unit in found}


async def _communes_by_id(session: AsyncSession) -> dict[int, Commune]:
    """Every commune of the deployment (none in a one-commune deployment)."""
    return {commune.id: commune for commune in await session.scalars(select(Commune))}


def check_communes(
    rows: Sequence[UnitRow], stored: dict[str, Unit], communes: dict[int, Commune]
) -> None:
    """Refuse a file that would blur communes: none named in a province, or a unit moved.

    A unit keeps its commune: the same code under another commune is refused, since its
    reports and people would silently change communes. Units without one (a commune's own
    deployment growing into a province) take the commune the file names.
    """
    if communes and any(row.commune_code is None for row in rows):
        raise UnitFileError([RowError(0, Problem.COMMUNES_NEEDED)])
    errors = [
        RowError(0, Problem.CODE_IN_OTHER_COMMUNE, (("code", row.code), ("commune", owner.code)))
        for row in rows
        if (unit := stored.get(row.code.lower())) is not None
        and unit.commune_id is not None
        and (owner := communes[unit.commune_id]).code != row.commune_code
    ]
    if errors:
        raise UnitFileError(errors[:MAX_ERRORS], max(len(errors) - MAX_ERRORS, 0))


async def check_merged(
    session: AsyncSession, rows: Sequence[UnitRow], stored: dict[str, Unit]
) -> None:
    """Refuse a file naming a merged unit: an old list would revive it and count it twice.

    Its people and figures are counted in the unit it joined, whose adults already add both:
    the refusal says that figure, which the same old list would otherwise set back.
    """
    merged = {
        unit: unit.merged_into_id
        for row in rows
        if (unit := stored.get(row.code.lower())) and unit.merged_into_id and not unit.active
    }
    if not merged:
        return
    joined = {
        unit.id: unit
        for unit in await session.scalars(select(Unit).where(Unit.id.in_(set(merged.values()))))
    }
    errors = [_merged_error(unit, joined[into]) for unit, into in merged.items() if into]
    raise UnitFileError(errors[:MAX_ERRORS], max(len(errors) - MAX_ERRORS, 0))


def _merged_error(unit: Unit, into: Unit) -> RowError:
    """The line naming `unit`, merged into `into`, and `into`'s adults now."""
    adults = into.adults if into.adults is not None else 0
    return RowError(
        0, Problem.MERGED, (("code", unit.code), ("into", into.code), ("adults", adults))
    )


async def _commune_ids(
    session: AsyncSession, rows: Sequence[UnitRow], communes: dict[int, Commune]
) -> dict[str, int]:
    """The id of every commune the rows name, creating new ones and taking the file's name."""
    by_code = {commune.code: commune for commune in communes.values()}
    for row in rows:
        if row.commune_code is None or row.commune_name is None:
            continue
        commune = by_code.get(row.commune_code)
        if commune is None:
            commune = by_code[row.commune_code] = Commune(
                code=row.commune_code, name=row.commune_name
            )
            session.add(commune)
        else:
            commune.name = row.commune_name
    await session.flush()
    return {code: commune.id for code, commune in by_code.items()}


async def upsert_units(
    session: AsyncSession, rows: Sequence[UnitRow], actor_user_id: int | None
) -> ImportResult:
    """Create or update units by code inside the caller's transaction."""
    existing = await _stored(session, rows)
    communes = await _communes_by_id(session)
    check_communes(rows, existing, communes)
    await check_merged(session, rows, existing)
    commune_ids = await _commune_ids(session, rows, communes)
    created = updated = 0
    for row in rows:
        unit = existing.get(row.code.lower())
        commune_id = commune_ids.get(row.commune_code or "")
        if unit is None:
            session.add(
                Unit(
                    code=row.code,
                    name=row.name,
                    kind=row.kind,
                    adults=row.adults,
                    head_name=row.head_name,
                    head_phone=row.head_phone,
                    commune_id=commune_id,
                )
            )
            created += 1
            continue
        if changes(unit, row) or unit.commune_id != commune_id:
            head_name, head_phone = _heads(unit, row)
            unit.name, unit.kind, unit.adults, unit.active = row.name, row.kind, row.adults, True
            unit.head_name, unit.head_phone = head_name, head_phone
            unit.commune_id = commune_id
            updated += 1
    record_event(session, actor_user_id, "units.imported", created=created, updated=updated)
    await bump(session, IDENTITIES)  # heads' cached identities carry their unit's name
    return ImportResult(created=created, updated=updated)


def _heads(unit: Unit, row: UnitRow) -> tuple[str | None, str | None]:
    """A file without the optional head columns (or a blank cell) keeps what is stored."""
    return row.head_name or unit.head_name, row.head_phone or unit.head_phone


def changes(unit: Unit, row: UnitRow) -> bool:
    """Whether importing `row` would change the stored unit (an archived one comes back)."""
    wanted = (row.name, row.kind, row.adults, True, *_heads(unit, row))
    return (unit.name, unit.kind, unit.adults, unit.active, unit.head_name, unit.head_phone) != (
        wanted
    )


@dataclass(frozen=True)
class Preview:
    """What importing a file would do: the codes added and changed, and how many stay."""

    added: tuple[UnitRow, ...]
    changed: tuple[UnitRow, ...]
    unchanged: int


async def preview_rows(db: Database, rows: Sequence[UnitRow]) -> Preview:
    """Compare a parsed file with the stored units, reading only."""
    async with db.read() as session:
        stored = await _stored(session, rows)
        check_communes(rows, stored, await _communes_by_id(session))
        await check_merged(session, rows, stored)
    added = tuple(r for r in rows if r.code.lower() not in stored)
    changed = tuple(
        r for r in rows if r.code.lower() in stored and changes(stored[r.code.lower()], r)
    )
    return Preview(added, changed, len(rows) - len(added) - len(changed))


async def import_rows(
    db: Database, rows: Sequence[UnitRow], actor_user_id: int | None
) -> ImportResult:
    """Upsert already-parsed rows in one transaction (all or nothing)."""
    async with db.write() as session:
        return await upsert_units(session, rows, actor_user_id)


async def import_units_file(
    db: Database, path: Path, actor_user_id: int | None = None
) -> ImportResult:
    """Validate the whole file first, then upsert it in one transaction (all or nothing)."""
    return await import_rows(db, parse_unit_table(read_table(path)), actor_user_id)


async def list_units(session: AsyncSession, *, active_only: bool = True) -> list[Unit]:
    """Return units ordered by code."""
    query = select(Unit).order_by(Unit.code)
    if active_only:
        query = query.where(Unit.active.is_(True))
    return list(await session.scalars(query))


async def find_unit(session: AsyncSession, code: str, *, for_update: bool = False) -> Unit | None:
    """Find a unit by code, case-insensitively since people type it by hand.

    `for_update` locks the row (PostgreSQL), so two admins changing it at once take turns.
    """
    query = select(Unit).where(func.lower(Unit.code) == code.strip().lower())
    if for_update:
        query = query.with_for_update()
    unit: Unit | None = await session.scalar(query)
    return unit


@dataclass(frozen=True)
class UnitChoice:
    """A unit as pickers show it."""

    code: str
    name: str


def _picker_order(units: list[Unit]) -> list[Unit]:
    """Thôn, buôn and tổ dân phố first, then agencies; by code within each group."""
    return sorted(units, key=lambda unit: (not unit.kind.is_residential, unit.code))


async def unit_choices(db: Database) -> list[UnitChoice]:
    """The active units for pickers: thôn/buôn first, then agencies."""
    async with db.read() as session:
        units = _picker_order(await list_units(session))
        return [UnitChoice(unit.code, unit.name) for unit in units]


async def unit_ids_and_names(db: Database) -> list[tuple[int, str]]:
    """(id, name) of the active units for pickers that keep ids, in the same order."""
    async with db.read() as session:
        return [(unit.id, unit.name) for unit in _picker_order(await list_units(session))]
