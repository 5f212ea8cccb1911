"""Unit files as communes have them: each odd shape read right, or refused in one line."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.services.registry.unit_import import (
    MAX_ROWS,
    Problem,
    UnitFileError,
    parse_unit_table,
    read_table,
)
from bot.texts import translator
from bot.texts.units import unit_file_problems
from models import UnitKind
from tests.cli_helpers import run_cli

HEADER = "code,name,kind,adults\r\n"
TONES = "\u0300\u0301\u0303\u0309\u0323"


def _units(path: Path) -> list[tuple[str, str]]:
    return [(u.code, u.name) for u in parse_unit_table(read_table(path))]


def _refusal(path: Path) -> UnitFileError:
    with pytest.raises(UnitFileError) as caught:
        parse_unit_table(read_table(path))
    return caught.value


def test_excel_doubled_quotes_anywhere_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        HEADER + 'T1,Thôn 1,thon,10\r\nTH,"Trường THCS ""Lê Lợi""",truong hoc,85\r\n',
        encoding="utf-8",
    )
    assert _units(path) == [("T1", "Thôn 1"), ("TH", 'Trường THCS "Lê Lợi"')]


def _cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: base letters precomposed, tones combining after."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(p for p in parts if p in TONES)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in TONES))
        out.append(base + tones)
    return "".join(out).encode("cp1258")


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8", "Buôn Ea Knốp"),
        ("utf-8-sig", "Buôn Ea Knốp"),
        ("utf-16", "Buôn Ea Knốp"),
        ("utf-16-le", "Buôn Ea Knốp"),
        ("cp1258", "Buôn Ea Knốp Thượng"),
        ("cp1252", "Nhóm Šárka"),
    ],
)
def test_encodings(tmp_path: Path, encoding: str, name: str) -> None:
    text = HEADER + f"B1,{name},buon,600\r\n"
    data = _cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    path = tmp_path / "units.csv"
    path.write_bytes(data)
    [(_code, read)] = _units(path)
    assert read == name and unicodedata.is_normalized("NFC", read)


def test_unknown_encoding_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(b"code,name,kind\r\nT1,\x81\x8d\x90,thon\r\n")
    error = _refusal(path)
    assert [e.problem for e in error.errors] == [Problem.BAD_ENCODING]
    assert unit_file_problems(translator("vi"), error) == translator("vi").plain(
        "units.file.bad_encoding"
    )


def _workbook_bytes(rows: list[list[object]], merge: str | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_rows_beyond_an_under_reported_dimension_are_read(tmp_path: Path) -> None:
    rows: list[list[object]] = [["code", "name", "kind", "adults"]]
    rows += [[f"T{i:02d}", f"Thôn {i}", "thon", 100 + i] for i in range(1, 31)]
    source = zipfile.ZipFile(io.BytesIO(_workbook_bytes(rows)))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(
                    rb'<dimension ref="[^"]+"', b'<dimension ref="A1:D3"', content
                )
                assert count == 1
            target.writestr(item, content)
    path = tmp_path / "units.xlsx"
    path.write_bytes(patched.getvalue())
    assert len(_units(path)) == 30


def test_title_above_the_header_merged_with_an_stt_column(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["DANH SÁCH THÔN, BUÔN XÃ EA KNỐP", None, None, None, None],
        [],
        ["STT", "Mã", "Tên", "Loại", "Số người trưởng thành"],
        [1, "T01", "Thôn 1", "Thôn", 1250],
        [2, "B01", "Buôn Ea Tih", "Buôn", 600],
    ]
    path = tmp_path / "units.xlsx"
    path.write_bytes(_workbook_bytes(rows, merge="A1:E1"))
    units = parse_unit_table(read_table(path))
    assert [(u.code, u.name, u.kind, u.adults) for u in units] == [
        ("T01", "Thôn 1", UnitKind.THON, 1250),
        ("B01", "Buôn Ea Tih", UnitKind.BUON, 600),
    ]
    csv_path = tmp_path / "units.csv"
    csv_path.write_text(
        "Danh sách đơn vị;;;\r\n;;;\r\nSTT;Mã;Tên;Loại;Số người trưởng thành\r\n"
        "1;T01;Thôn 1;Thôn;1.250\r\n",
        encoding="utf-8",
    )
    assert _units(csv_path) == [("T01", "Thôn 1")]


def test_bad_lines_are_numbered_as_in_the_file_below_a_title(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("Danh sách\r\n" + HEADER + "T1,Thôn 1,lang,10\r\n", encoding="utf-8")
    assert [e.line for e in _refusal(path).errors] == [3]


@pytest.mark.parametrize("name", ["units.xls", "units.xlsx"])
def test_legacy_xls_is_refused_with_how_to_fix(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    error = _refusal(path)
    assert [e.problem for e in error.errors] == [Problem.LEGACY_XLS]
    assert "hãy lưu lại dạng .xlsx" in unit_file_problems(translator("vi"), error)


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04 not really a zip", b"", "zip-without-workbook"],
)
def test_corrupt_xlsx_is_refused(tmp_path: Path, content: bytes | str) -> None:
    if content == "zip-without-workbook":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "xin chào")
        content = buffer.getvalue()
    path = tmp_path / "units.xlsx"
    path.write_bytes(content if isinstance(content, bytes) else b"")
    assert [e.problem for e in _refusal(path).errors] == [Problem.BAD_XLSX]


def test_zip_bomb_is_refused_before_openpyxl_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (30 * 1024 * 1024))
    path = tmp_path / "units.xlsx"
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 200_000

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl was asked to open a zip bomb")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    assert [e.problem for e in _refusal(path).errors] == [Problem.TOO_BIG]


def test_size_and_row_caps(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(HEADER.encode() + b"T1,Thon,thon,1\r\n" * 400_000)
    assert [e.problem for e in _refusal(big).errors] == [Problem.TOO_BIG]
    many = tmp_path / "many.csv"
    many.write_text(
        HEADER + "".join(f"T{i},Thôn {i},thon,1\r\n" for i in range(MAX_ROWS + 50)),
        encoding="utf-8",
    )
    assert [e.problem for e in _refusal(many).errors] == [Problem.TOO_MANY_ROWS]


def test_error_list_is_capped_with_a_count(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        HEADER + "".join(f"T{i},Thôn {i},{'x' * 500},1\r\n" for i in range(1254)),
        encoding="utf-8",
    )
    error = _refusal(path)
    assert len(error.errors) == 20 and error.more == 1234
    message = unit_file_problems(translator("vi"), error)
    assert message.endswith("… và 1.234 dòng lỗi khác")
    assert len(message) < 3000, "a bad value is quoted whole"


def test_cli_refuses_an_xls_in_one_line(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "units.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    result = run_cli(["units", "import", str(path)], DATABASE_URL=db_url)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert ".xlsx" in result.stderr and "Traceback" not in result.stderr
