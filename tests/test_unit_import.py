"""Unit list parsing (pure) and the atomic import (database)."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.registry.unit_import import (
    Problem,
    UnitFileError,
    parse_adults,
    parse_kind,
    parse_unit_table,
    read_table,
)
from bot.services.registry.units import import_units_file
from bot.texts import translator
from bot.texts.units import unit_file_problems
from models import Unit, UnitKind
from models.db import Database


def test_english_headers_and_kind_aliases() -> None:
    rows = parse_unit_table(
        [
            ["code", "name", "kind", "adults"],
            ["T1", "Thôn 1", "Thôn", "1.250"],
            ["B1", "Buôn  Ea   Sar", "buon", "1 000"],
            ["CA", "Công an xã", "Cơ quan", ""],
            ["TH", "Trường THPT", "truong hoc", "85"],
        ]
    )
    assert [(r.code, r.kind, r.adults) for r in rows] == [
        ("T1", UnitKind.THON, 1250),
        ("B1", UnitKind.BUON, 1000),
        ("CA", UnitKind.CO_QUAN, None),
        ("TH", UnitKind.TRUONG_HOC, 85),
    ]
    assert rows[1].name == "Buôn Ea Sar"


def test_vietnamese_headers_and_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Thôn Đoàn Kết")
    rows = parse_unit_table(
        [["Mã", "Tên", "Loại", "Số người trưởng thành"], ["T9", decomposed, "thon", "12"]]
    )
    assert rows[0].name == unicodedata.normalize("NFC", "Thôn Đoàn Kết")
    assert unicodedata.is_normalized("NFC", rows[0].name)


def test_every_bad_line_is_named() -> None:
    with pytest.raises(UnitFileError) as caught:
        parse_unit_table(
            [
                ["code", "name", "kind", "adults"],
                ["T1", "Thôn 1", "thon", "10"],
                ["", "Không mã", "thon", "10"],
                ["T3", "Thôn 3", "làng", "10"],
                ["T4", "Thôn 4", "thon", "-5"],
                ["T1", "Thôn 1 lần nữa", "thon", "10"],
            ]
        )
    assert [e.line for e in caught.value.errors] == [3, 4, 5, 6]
    assert [e.problem for e in caught.value.errors] == [
        Problem.BAD_CODE,
        Problem.BAD_KIND,
        Problem.BAD_ADULTS,
        Problem.DUPLICATE_CODE,
    ]
    explained = unit_file_problems(translator("vi"), caught.value)
    assert "dòng 4: loại đơn vị 'làng' không hợp lệ" in explained
    assert "dòng 6: mã 'T1' trùng với dòng 2" in explained


def test_missing_columns_refused() -> None:
    with pytest.raises(UnitFileError) as caught:
        parse_unit_table([["code", "adults"], ["T1", "3"]])
    assert "thiếu cột name, kind" in unit_file_problems(translator("vi"), caught.value)


@given(st.text(max_size=20))
@settings(max_examples=2000)
def test_adults_parser_never_crashes(raw: str) -> None:
    try:
        value = parse_adults(raw)
    except ValueError:
        return
    assert value is None or 0 <= value <= 10_000_000


@given(st.text(max_size=15))
@settings(max_examples=2000)
def test_kind_parser_never_crashes(raw: str) -> None:
    assert parse_kind(raw) in (None, *UnitKind)


def test_read_xlsx(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Mã", "Tên", "Loại", "Số người trưởng thành"])
    sheet.append(["T1", "Thôn 1", "Thôn", 1250])
    sheet.append(["B2", "Buôn 2", "Buôn", 800.0])
    path = tmp_path / "units.xlsx"
    workbook.save(path)
    rows = parse_unit_table(read_table(path))
    assert [(r.code, r.adults) for r in rows] == [("T1", 1250), ("B2", 800)]


def test_read_csv_with_bom_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes("\ufeffMã;Tên;Loại;Số người trưởng thành\nT1;Thôn 1;thon;5\n".encode())
    assert parse_unit_table(read_table(path))[0].code == "T1"


async def test_import_upserts_by_code(
    db: Database, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    path = tmp_path / "u.csv"
    path.write_text("code,name,kind,adults\nT1,Thôn 1,thon,10\nT2,Thôn 2,thon,20\n", "utf-8")
    first = await import_units_file(db, path)
    path.write_text("code,name,kind,adults\nT1,Thôn Một,thon,15\nT2,Thôn 2,thon,20\n", "utf-8")
    second = await import_units_file(db, path)
    assert (first.created, first.updated) == (2, 0)
    assert (second.created, second.updated) == (0, 1)
    async with session_factory() as session:
        units = list(await session.scalars(select(Unit).order_by(Unit.code)))
    assert [(u.code, u.name, u.adults) for u in units] == [
        ("T1", "Thôn Một", 15),
        ("T2", "Thôn 2", 20),
    ]


def _cli(args: list[str], db_url: str) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI with a given database and no .env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_"))}
    env["DATABASE_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=Path(__file__).parent,
    )


def test_cli_import_refused_whole_names_bad_lines(db_url: str, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("code,name,kind,adults\nT1,Thôn 1,thon,10\n", "utf-8")
    assert _cli(["units", "import", str(good)], db_url).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,kind,adults\nT1,Thôn đổi tên,thon,99\nT2,Thôn 2,xyz,10\nT3,,thon,1\n", "utf-8"
    )
    result = _cli(["units", "import", str(bad)], db_url)
    assert result.returncode == 2
    assert "dòng 3" in result.stderr and "dòng 4" in result.stderr
    assert "Traceback" not in result.stderr
    listing = _cli(["units", "list"], db_url)
    assert listing.stdout.splitlines() == ["T1\tThôn 1\tthon\t10\t0"]


def test_cli_sample_units_import(db_url: str) -> None:
    sample = Path(__file__).parent.parent / "data" / "units.sample.csv"
    result = _cli(["units", "import", str(sample)], db_url)
    assert result.returncode == 0, result.stderr
    lines = _cli(["units", "list"], db_url).stdout.splitlines()
    residential = [line for line in lines if line.split("\t")[2] in ("thon", "buon")]
    assert len(residential) == 45


def test_optional_head_name_and_phone_columns() -> None:
    rows = parse_unit_table(
        [
            ["Mã", "Tên", "Loại", "Số người trưởng thành", "Trưởng thôn", "Số điện thoại"],
            ["T1", "Thôn 1", "thon", "10", "  Nguyễn  Văn A ", "0912 345 678"],
            ["T2", "Thôn 2", "thon", "12", "", ""],
        ]
    )
    assert (rows[0].head_name, rows[0].head_phone) == ("Nguyễn Văn A", "0912 345 678")
    assert (rows[1].head_name, rows[1].head_phone) == (None, None)
    english = parse_unit_table(
        [["code", "name", "kind", "head_name", "phone"], ["B1", "Buôn 1", "buon", "Y Bih", "09"]]
    )
    assert (english[0].head_name, english[0].head_phone) == ("Y Bih", "09")


async def test_head_columns_are_stored_and_kept_by_a_file_without_them(
    db: Database, tmp_path: Path
) -> None:
    with_heads = tmp_path / "heads.csv"
    with_heads.write_text(
        "Mã,Tên,Loại,Họ tên trưởng thôn,SĐT\nT1,Thôn 1,thon,Nguyễn Văn A,0912345678\n",
        encoding="utf-8",
    )
    await import_units_file(db, with_heads)
    without = tmp_path / "plain.csv"
    without.write_text("code,name,kind,adults\nT1,Thôn 1,thon,900\n", encoding="utf-8")
    result = await import_units_file(db, without)
    assert result.updated == 1
    async with db.read() as session:
        unit = await session.scalar(select(Unit).where(Unit.code == "T1"))
    assert unit is not None
    assert (unit.head_name, unit.head_phone, unit.adults) == ("Nguyễn Văn A", "0912345678", 900)


def test_names_that_print_blank_or_repeat_and_zero_adults_are_refused() -> None:
    nfd = unicodedata.normalize("NFD", "Thôn Ea Tih")
    with pytest.raises(UnitFileError) as caught:
        parse_unit_table(
            [
                ["code", "name", "kind", "adults"],
                ["T1", "Thôn Ea Tih", "thon", "10"],
                ["T2", nfd, "thon", "10"],  # the same name in another Unicode form
                ["T3", "THON EA TIH", "thon", "10"],  # without accents, in capitals
                ["T4", "\u200b\u200b", "thon", "10"],  # invisible
                ["T5", "🏠🌾", "thon", "10"],  # emoji only
                ["T6", "Thôn 6", "thon", "0"],  # no adults: no percentage can be made
            ]
        )
    assert [(e.line, e.problem) for e in caught.value.errors] == [
        (3, Problem.DUPLICATE_NAME),
        (4, Problem.DUPLICATE_NAME),
        (5, Problem.BAD_NAME),
        (6, Problem.BAD_NAME),
        (7, Problem.BAD_ADULTS),
    ]
    explained = unit_file_problems(translator("vi"), caught.value)
    assert "dòng 4: tên 'THON EA TIH' trùng với dòng 2" in explained


def test_invisible_marks_are_dropped_from_a_name() -> None:
    [unit] = parse_unit_table([["code", "name", "kind"], ["T1", "Thôn\u200b 1\ufeff", "thon"]])
    assert unit.name == "Thôn 1"
