"""Reading a unit list (CSV or XLSX) into validated rows; pure parsing, no database."""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.services.common.folding import fold, nfc
from models import UnitKind

MAX_ADULTS = 10_000_000
MAX_NAME = 200
MAX_PHONE = 32
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

# Header aliases, compared after lower-casing and stripping diacritics.
HEADER_ALIASES = {
    "code": "code",
    "ma": "code",
    "ma don vi": "code",
    "name": "name",
    "ten": "name",
    "ten don vi": "name",
    "kind": "kind",
    "loai": "kind",
    "adults": "adults",
    "so nguoi truong thanh": "adults",
    # Optional: the head's name and phone, for the export until someone registers.
    "head_name": "head_name",
    "head name": "head_name",
    "head": "head_name",
    "truong thon": "head_name",
    "truong buon": "head_name",
    "truong thon/buon": "head_name",
    "ho ten truong thon": "head_name",
    "ho va ten truong thon": "head_name",
    "ten truong thon": "head_name",
    "nguoi phu trach": "head_name",
    "head_phone": "head_phone",
    "head phone": "head_phone",
    "phone": "head_phone",
    "dien thoai": "head_phone",
    "so dien thoai": "head_phone",
    "sdt": "head_phone",
    "dien thoai truong thon": "head_phone",
    "so dien thoai truong thon": "head_phone",
}

KIND_ALIASES = {
    "thon": UnitKind.THON,
    "buon": UnitKind.BUON,
    "to dan pho": UnitKind.TO_DAN_PHO,
    "to_dan_pho": UnitKind.TO_DAN_PHO,
    "tdp": UnitKind.TO_DAN_PHO,
    "co quan": UnitKind.CO_QUAN,
    "co_quan": UnitKind.CO_QUAN,
    "truong": UnitKind.TRUONG_HOC,
    "truong hoc": UnitKind.TRUONG_HOC,
    "truong_hoc": UnitKind.TRUONG_HOC,
    "khac": UnitKind.KHAC,
}


@dataclass(frozen=True)
class UnitRow:
    """One valid unit line of an import file."""

    code: str
    name: str
    kind: UnitKind
    adults: int | None
    head_name: str | None = None
    head_phone: str | None = None


class Problem(enum.StrEnum):
    """What is wrong with a line (or the whole file)."""

    MISSING_COLUMNS = "missing_columns"
    EMPTY_FILE = "empty_file"
    NO_ROWS = "no_rows"
    BAD_CODE = "bad_code"
    BAD_NAME = "bad_name"
    BAD_KIND = "bad_kind"
    BAD_ADULTS = "bad_adults"
    DUPLICATE_CODE = "duplicate_code"


@dataclass(frozen=True)
class RowError:
    """One bad line, by its line number in the file (header = line 1), with the values named."""

    line: int
    problem: Problem
    values: tuple[tuple[str, str], ...] = ()


class RowProblem(ValueError):
    """A data row that cannot be imported."""

    def __init__(self, problem: Problem, **values: str) -> None:
        """Keep the problem and the values it names."""
        super().__init__(problem.value)
        self.problem = problem
        self.values = tuple(values.items())


class UnitFileError(Exception):
    """The file cannot be imported; `errors` names each bad line."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        """Keep every error so the message can name each bad line."""
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.line}: {e.problem.value}" for e in self.errors))


def parse_kind(raw: str) -> UnitKind | None:
    """Map "Thôn", "buon", "co_quan", "Trường học"… to a kind."""
    return KIND_ALIASES.get(" ".join(fold(raw).replace("/", " ").split()))


def parse_adults(raw: str) -> int | None:
    """Read an adults count; "1.250" and "1 250" are thousands-separated. Raises ValueError."""
    cleaned = raw.strip().replace(".", "").replace(" ", "").replace("\u00a0", "")
    if cleaned == "":
        return None
    if not cleaned.isdigit() or not cleaned.isascii():
        raise ValueError(raw)
    value = int(cleaned)
    if value > MAX_ADULTS:
        raise ValueError(raw)
    return value


def map_header(header: Sequence[str]) -> dict[str, int]:
    """Return the column index of each known field. Raises UnitFileError on a bad header."""
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        field = HEADER_ALIASES.get(fold(title))
        if field is not None and field not in columns:
            columns[field] = index
    missing = [f for f in ("code", "name", "kind") if f not in columns]
    if missing:
        columns_text = ", ".join(missing)
        raise UnitFileError([RowError(1, Problem.MISSING_COLUMNS, (("columns", columns_text),))])
    return columns


def _cell(row: Sequence[str], columns: dict[str, int], field: str) -> str:
    """Return a field's text, or "" when the row is short or the column absent."""
    index = columns.get(field)
    if index is None or index >= len(row):
        return ""
    return row[index]


def parse_row(row: Sequence[str], columns: dict[str, int]) -> UnitRow:
    """Validate one data row. Raises RowProblem naming what is wrong."""
    code = _cell(row, columns, "code").strip()
    if not CODE_PATTERN.match(code):
        raise RowProblem(Problem.BAD_CODE, code=code)
    name = nfc(_cell(row, columns, "name"))
    if not name or len(name) > MAX_NAME:
        raise RowProblem(Problem.BAD_NAME)
    raw_kind = _cell(row, columns, "kind")
    kind = parse_kind(raw_kind)
    if kind is None:
        raise RowProblem(Problem.BAD_KIND, kind=raw_kind.strip())
    raw_adults = _cell(row, columns, "adults")
    try:
        adults = parse_adults(raw_adults)
    except ValueError:
        raise RowProblem(Problem.BAD_ADULTS, adults=raw_adults.strip()) from None
    return UnitRow(
        code=code,
        name=name,
        kind=kind,
        adults=adults,
        head_name=nfc(_cell(row, columns, "head_name"))[:MAX_NAME] or None,
        head_phone=nfc(_cell(row, columns, "head_phone"))[:MAX_PHONE] or None,
    )


def parse_unit_table(table: Iterable[Sequence[str]]) -> list[UnitRow]:
    """Validate a whole table (header first). Raises UnitFileError naming every bad line."""
    lines = iter(table)
    header = next(lines, None)
    if header is None:
        raise UnitFileError([RowError(1, Problem.EMPTY_FILE)])
    columns = map_header(header)
    units: list[UnitRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line_number, row in enumerate(lines, start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            unit = parse_row(row, columns)
        except RowProblem as problem:
            errors.append(RowError(line_number, problem.problem, problem.values))
            continue
        if unit.code in seen:
            values = (("code", unit.code), ("first", str(seen[unit.code])))
            errors.append(RowError(line_number, Problem.DUPLICATE_CODE, values))
            continue
        seen[unit.code] = line_number
        units.append(unit)
    if errors:
        raise UnitFileError(errors)
    if not units:
        raise UnitFileError([RowError(2, Problem.NO_ROWS)])
    return units


def _cell_text(value: object) -> str:
    """Render a spreadsheet cell as the text a person typed (1250.0 → "1250")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(path: Path) -> list[list[str]]:
    """Read a CSV (UTF-8, with or without BOM) or XLSX file as rows of text."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        # openpyxl is heavy; the running bot never reads XLSX, so load it only here.
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [[_cell_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return rows
    text = path.read_bytes().decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]
