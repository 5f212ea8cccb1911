"""A province's communes: unit files naming them, and the one narrowing of a commune's scope."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.broadcasts.audience import ALL, Audience, recipients_query
from bot.services.common.batching import Coalescer
from bot.services.registry.unit_import import Problem, UnitFileError, parse_unit_table
from bot.services.registry.units import import_units_file
from models import Commune, Contact, Delivery, Directive, MessageKind, Role, Unit, scope
from models.db import Database

SessionFactory = async_sessionmaker[AsyncSession]
HEADER = ["code", "name", "kind", "adults", "commune_code", "commune_name"]
GOOD = [
    ["A01", "Thôn 1", "thon", "1000", "24001", "Xã Ea Knốp"],
    ["B01", "Thôn 1", "thon", "800", "24002", "Xã Ea Kar"],
]


def _problems(rows: list[list[str]]) -> list[Problem]:
    with pytest.raises(UnitFileError) as refused:
        parse_unit_table([HEADER, *rows])
    return [error.problem for error in refused.value.errors]


def test_every_commune_may_have_its_thon_1() -> None:
    rows = parse_unit_table([HEADER, *GOOD])
    assert [(row.code, row.commune_code, row.commune_name) for row in rows] == [
        ("A01", "24001", "Xã Ea Knốp"),
        ("B01", "24002", "Xã Ea Kar"),
    ]


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (["B02", "Thôn 2", "thon", "9", "2400", "Xã Ea Kar"], Problem.BAD_COMMUNE_CODE),
        (["B02", "Thôn 2", "thon", "9", "24002", ""], Problem.BAD_COMMUNE_NAME),
        (["B02", "Thôn 2", "thon", "9", "24002", "Xã Ea Kao"], Problem.COMMUNE_TWO_NAMES),
        (["A01", "Thôn 9", "thon", "9", "24002", "Xã Ea Kar"], Problem.CODE_IN_TWO_COMMUNES),
        (["B02", "Thôn 1", "thon", "9", "24002", "Xã Ea Kar"], Problem.DUPLICATE_NAME),
    ],
)
def test_a_file_that_blurs_communes_is_refused(bad: list[str], problem: Problem) -> None:
    assert _problems([*GOOD, bad]) == [problem]


@given(st.text(alphabet="0123456789abc ", max_size=8))
def test_only_five_digits_make_a_commune_code(code: str) -> None:
    row = ["A01", "Thôn 1", "thon", "10", code, "Xã A"]
    if len(code.strip()) == 5 and code.strip().isdigit():
        assert parse_unit_table([HEADER, row])[0].commune_code == code.strip()
    else:
        assert _problems([row]) == [Problem.BAD_COMMUNE_CODE]


def _write(tmp_path: Path, name: str, lines: list[list[str]]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(",".join(line) for line in lines) + "\n", encoding="utf-8")
    return path


async def _units(session_factory: SessionFactory) -> list[tuple[str, int | None]]:
    async with session_factory() as session:
        rows = await session.execute(select(Unit.code, Unit.commune_id).order_by(Unit.code))
        return list(rows.tuples())


async def test_a_province_refuses_a_file_without_communes_or_moving_a_unit(
    db: Database, session_factory: SessionFactory, tmp_path: Path
) -> None:
    await import_units_file(db, _write(tmp_path, "tinh.csv", [HEADER, *GOOD]))
    before = await _units(session_factory)
    plain = _write(tmp_path, "xa.csv", [HEADER[:4], ["C01", "Thôn 3", "thon", "10"]])
    moved = _write(
        tmp_path, "moved.csv", [HEADER, ["A01", "Thôn 1", "thon", "10", "24002", "Xã Ea Kar"]]
    )
    for path, problem in ((plain, Problem.COMMUNES_NEEDED), (moved, Problem.CODE_IN_OTHER_COMMUNE)):
        with pytest.raises(UnitFileError) as refused:
            await import_units_file(db, path)
        assert [error.problem for error in refused.value.errors] == [problem]
        assert await _units(session_factory) == before


async def _two_communes(session_factory: SessionFactory) -> tuple[int, int]:
    async with session_factory.begin() as session:
        first, second = Commune(code="24001", name="A"), Commune(code="24002", name="B")
        session.add_all([first, second])
        await session.flush()
        units = [
            Unit(code=code, name=code, kind="thon", adults=10, commune_id=commune.id)
            for code, commune in (("A01", first), ("B01", second))
        ]
        session.add_all(units)
        await session.flush()
        session.add_all(
            Contact(telegram_user_id=n, chat_id=n, unit_id=unit.id, role=Role.HEAD)
            for n, unit in enumerate(units, start=1)
        )
        return first.id, second.id


async def test_a_scope_narrows_reads_writes_and_counts_to_its_commune(
    session_factory: SessionFactory,
) -> None:
    first, second = await _two_communes(session_factory)
    with scope.narrowed(first):
        async with session_factory.begin() as session:
            assert (await session.scalars(select(Unit.code))).all() == ["A01"]
            assert await session.scalar(select(func.count()).select_from(Contact)) == 1
            other = await session.scalar(select(Unit.id).where(Unit.code == "B01"))
            assert other is None
            changed = await session.execute(
                update(Unit).where(Unit.code == "B01").values(name="changed")
            )
            assert getattr(changed, "rowcount", None) == 0
            directive = Directive(kind=MessageKind.DIRECTIVE, subject="", body="x", audience=ALL)
            session.add(directive)
            await session.flush()
            assert directive.commune_id == first  # stamped with the scope it was made in
    async with session_factory() as session:
        assert await session.scalar(select(Unit.name).where(Unit.code == "B01")) == "B01"
    assert second != first


async def test_an_insert_select_the_criteria_cannot_reach_is_refused(
    session_factory: SessionFactory,
) -> None:
    first, _ = await _two_communes(session_factory)
    with scope.narrowed(first):
        async with session_factory.begin() as session:
            directive = Directive(kind=MessageKind.DIRECTIVE, subject="", body="x", audience=ALL)
            session.add(directive)
            await session.flush()
            rows = select(Contact.id, Contact.chat_id).subquery()
            columns = ["directive_id", "contact_id", "chat_id", "status", "attempts", "parts_sent"]
            copied = select(
                literal(directive.id), rows.c.id, rows.c.chat_id, literal("pending"),
                literal(0), literal(0),
            )  # fmt: skip
            with pytest.raises(scope.ScopeError):
                await session.execute(insert(Delivery).from_select(columns, copied))
            # The outbox's own query narrows itself, and says so.
            recipients = recipients_query(Audience(ALL)).subquery()
            assert await session.scalar(select(func.count()).select_from(recipients)) == 1


async def test_a_batch_of_loads_does_not_carry_its_first_callers_scope() -> None:
    seen: list[int | None] = []

    async def load_many(keys: list[int]) -> dict[int, int]:
        seen.append(scope.current_commune.get())
        return {key: key for key in keys}

    coalescer: Coalescer[int, int] = Coalescer(load_many)

    async def narrowed_caller() -> int:
        scope.enter(7)
        return await coalescer.load(1)

    assert list(await asyncio.gather(narrowed_caller(), coalescer.load(2))) == [1, 2]
    assert seen == [None]
