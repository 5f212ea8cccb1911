"""Reading a unit list (CSV or XLSX) into validated rows; pure parsing, no database.

Files come as communes have them: a title above the header (merged or not), an "STT" column,
Excel's CSV (doubled quotes, semicolons), Windows-1258 or Windows-1252 text, UTF-16. Whatever
cannot be read is refused with one reason, cheaply: sizes are checked before anything is
parsed, a ZIP's members before openpyxl opens it, and the rows and errors kept are capped.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.services.common.folding import fold, nfc, visible_text
from models import UnitKind

MAX_ADULTS = 10_000_000
MAX_NAME = 200
MAX_PHONE = 32
# A commune has tens of units, a province thousands: far above any real list, far below harm.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_ERRORS = 20
MAX_VALUE_SHOWN = 40
# The header may sit below a title and a blank line or two.
HEADER_SEARCH_ROWS = 15
CSV_SAMPLE = 64 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc)
# Combining tone marks Windows-1258 writes after a vowel (NFC folds them into the letter).
VIETNAMESE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
# ă â đ ê ô ơ ư and their capitals.
VIETNAMESE_LETTERS = frozenset(
    chr(code)
    for code in (
        0x103,
        0xE2,
        0x111,
        0xEA,
        0xF4,
        0x1A1,
        0x1B0,
        0x102,
        0xC2,
        0x110,
        0xCA,
        0xD4,
        0x1A0,
        0x1AF,
    )
)
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# A commune's code in the national list (QĐ 19/2025/QĐ-TTg): five digits.
COMMUNE_CODE_PATTERN = re.compile(r"^[0-9]{5}$")

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
    # Optional, for a province: the commune each unit belongs to.
    "commune_code": "commune_code",
    "commune code": "commune_code",
    "ma xa": "commune_code",
    "ma xa phuong": "commune_code",
    "commune_name": "commune_name",
    "commune name": "commune_name",
    "ten xa": "commune_name",
    "ten xa phuong": "commune_name",
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
    # A province's file names each unit's commune; a one-commune file leaves both None.
    commune_code: str | None = None
    commune_name: str | None = None


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
    DUPLICATE_NAME = "duplicate_name"
    BAD_COMMUNE_CODE = "bad_commune_code"
    BAD_COMMUNE_NAME = "bad_commune_name"
    COMMUNE_TWO_NAMES = "commune_two_names"
    CODE_IN_TWO_COMMUNES = "code_in_two_communes"
    CODE_IN_OTHER_COMMUNE = "code_in_other_commune"
    COMMUNES_NEEDED = "communes_needed"
    MERGED = "merged"
    TOO_BIG = "too_big"
    TOO_MANY_ROWS = "too_many_rows"
    LEGACY_XLS = "legacy_xls"
    BAD_XLSX = "bad_xlsx"
    BAD_ENCODING = "bad_encoding"
    BAD_CSV = "bad_csv"


@dataclass(frozen=True)
class RowError:
    """One bad line, by its line number in the file (0 = the whole file), with values named."""

    line: int
    problem: Problem
    values: tuple[tuple[str, str | int], ...] = ()


class RowProblem(ValueError):
    """A data row that cannot be imported."""

    def __init__(self, problem: Problem, **values: str) -> None:
        """Keep the problem and the values it names (shortened: they come from the file)."""
        super().__init__(problem.value)
        self.problem = problem
        self.values = tuple((key, _shown(value)) for key, value in values.items())


def _shown(value: str) -> str:
    """A value from the file as an error message may quote it."""
    return value if len(value) <= MAX_VALUE_SHOWN else value[:MAX_VALUE_SHOWN] + "…"


class UnitFileError(Exception):
    """The file cannot be imported; `errors` names the first bad lines, `more` counts the rest."""

    def __init__(self, errors: Sequence[RowError], more: int = 0) -> None:
        """Keep the first errors (the message names each) and how many more there were."""
        self.errors = list(errors)
        self.more = more
        super().__init__("; ".join(f"{e.line}: {e.problem.value}" for e in self.errors))


def _file_error(problem: Problem, **values: str) -> UnitFileError:
    """A refusal of the whole file."""
    return UnitFileError([RowError(0, problem, tuple(values.items()))])


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
    name = visible_text(_cell(row, columns, "name"))
    # A name must print: one made only of emoji or invisible marks would show as blank.
    if not any(char.isalnum() for char in name) or len(name) > MAX_NAME:
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
    if adults == 0:  # every percentage divides by it: leave it empty when unknown
        raise RowProblem(Problem.BAD_ADULTS, adults=raw_adults.strip())
    return UnitRow(
        code=code,
        name=name,
        kind=kind,
        adults=adults,
        head_name=nfc(_cell(row, columns, "head_name"))[:MAX_NAME] or None,
        head_phone=nfc(_cell(row, columns, "head_phone"))[:MAX_PHONE] or None,
        **_commune(row, columns),
    )


def _commune(row: Sequence[str], columns: dict[str, int]) -> dict[str, str | None]:
    """The row's commune code and name, when the file has the columns (else both None)."""
    if "commune_code" not in columns:
        return {"commune_code": None, "commune_name": None}
    code = _cell(row, columns, "commune_code").strip()
    if not COMMUNE_CODE_PATTERN.match(code):
        raise RowProblem(Problem.BAD_COMMUNE_CODE, commune=code)
    name = visible_text(_cell(row, columns, "commune_name"))
    if not any(char.isalnum() for char in name) or len(name) > MAX_NAME:
        raise RowProblem(Problem.BAD_COMMUNE_NAME, commune=code)
    return {"commune_code": code, "commune_name": name}


def _find_header(rows: list[Sequence[str]]) -> tuple[int, dict[str, int]]:
    """The header's index and columns: the first row naming code, name and kind.

    Rows above it (a title, merged or not, a date line) are skipped. When no row qualifies,
    the first non-empty row is judged as the header, so its missing columns are named.
    """
    first: int | None = None
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if not any(cell.strip() for cell in row):
            continue
        first = index if first is None else first
        try:
            return index, map_header(row)
        except UnitFileError:
            continue
    if first is None:
        raise UnitFileError([RowError(1, Problem.EMPTY_FILE)])
    try:
        map_header(rows[first])
    except UnitFileError as error:
        raise UnitFileError([replace(e, line=first + 1) for e in error.errors]) from None
    raise AssertionError("unreachable: the first row was refused above")


class _Seen:
    """The codes and names already read, to refuse a unit listed twice."""

    def __init__(self) -> None:
        """Nothing read yet."""
        self._codes: dict[str, tuple[int, str | None]] = {}
        # Names compared without case, diacritics or Unicode form: "Thôn 1" is "thon 1"; each
        # commune has its own (every commune may have a "Thôn 1").
        self._names: dict[tuple[str | None, str], int] = {}
        self._communes: dict[str, tuple[int, str]] = {}

    def repeated(self, unit: UnitRow, line: int) -> RowError | None:
        """The error for a unit whose code or name came before, or None (and remember it)."""
        name = (unit.commune_code, fold(unit.name))
        if unit.code in self._codes:
            first, commune = self._codes[unit.code]
            values = (("code", unit.code), ("first", str(first)))
            if commune != unit.commune_code:
                return RowError(line, Problem.CODE_IN_TWO_COMMUNES, values)
            return RowError(line, Problem.DUPLICATE_CODE, values)
        if name in self._names:
            values = (("name", _shown(unit.name)), ("first", str(self._names[name])))
            return RowError(line, Problem.DUPLICATE_NAME, values)
        disagreement = self._commune_disagrees(unit, line)
        if disagreement is not None:
            return disagreement
        self._codes[unit.code], self._names[name] = (line, unit.commune_code), line
        return None

    def _commune_disagrees(self, unit: UnitRow, line: int) -> RowError | None:
        """The error for a commune code named differently on an earlier line, or None."""
        if unit.commune_code is None or unit.commune_name is None:
            return None
        first = self._communes.setdefault(unit.commune_code, (line, unit.commune_name))
        if fold(first[1]) == fold(unit.commune_name):
            return None
        values = (("commune", unit.commune_code), ("first", str(first[0])))
        return RowError(line, Problem.COMMUNE_TWO_NAMES, values)


def parse_unit_table(table: Iterable[Sequence[str]]) -> list[UnitRow]:
    """Validate a whole table. Raises UnitFileError naming the bad lines (the first ones)."""
    rows = list(table)
    header_index, columns = _find_header(rows)
    units: list[UnitRow] = []
    errors: list[RowError] = []
    more = 0
    seen = _Seen()
    for line_number, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            unit = parse_row(row, columns)
        except RowProblem as problem:
            error = RowError(line_number, problem.problem, problem.values)
        else:
            repeated = seen.repeated(unit, line_number)
            if repeated is None:
                units.append(unit)
                continue
            error = repeated
        if len(errors) < MAX_ERRORS:
            errors.append(error)
        else:
            more += 1
    if errors:
        raise UnitFileError(errors, more)
    if not units:
        raise UnitFileError([RowError(header_index + 2, Problem.NO_ROWS)])
    return units


def _cell_text(value: object) -> str:
    """Render a spreadsheet cell as the text a person typed (1250.0 → "1250")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(path: Path) -> list[list[str]]:
    """Read a CSV or XLSX unit file as rows of text. Raises UnitFileError for what cannot be."""
    check_size(path.stat().st_size)
    return read_table_bytes(path.read_bytes(), path.suffix)


def check_size(size: int) -> None:
    """Refuse a file over MAX_FILE_BYTES before reading it."""
    if size > MAX_FILE_BYTES:
        raise _file_error(Problem.TOO_BIG, limit=f"{MAX_FILE_BYTES // (1024 * 1024)} MB")


def read_table_bytes(data: bytes, suffix: str) -> list[list[str]]:
    """Read a unit file's content (a CSV, or an XLSX by its suffix or signature) as rows."""
    check_size(len(data))
    suffix = suffix.lower()
    if suffix == ".xls" or data.startswith(OLE2_MAGIC):
        raise _file_error(Problem.LEGACY_XLS)
    if suffix in (".xlsx", ".xlsm") or data.startswith(ZIP_MAGIC):
        return _capped(_read_xlsx(data))
    return _capped(_read_csv(data))


def _capped(rows: Iterable[list[str]]) -> list[list[str]]:
    """Take rows up to the cap; refuse the file beyond it (without reading the rest)."""
    taken: list[list[str]] = []
    for row in rows:
        if len(taken) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise _file_error(Problem.TOO_MANY_ROWS, limit=str(MAX_ROWS))
        taken.append(row)
    return taken


def _check_zip(data: bytes) -> None:
    """Refuse a corrupt ZIP or a ZIP bomb from its directory alone, before openpyxl opens it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise _file_error(Problem.BAD_XLSX) from None
    total = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members)
    if total > MAX_UNZIPPED_BYTES or total > MAX_ZIP_RATIO * max(packed, 1) + 1024 * 1024:
        raise _file_error(Problem.TOO_BIG, limit=f"{MAX_UNZIPPED_BYTES // (1024 * 1024)} MB")


def _read_xlsx(data: bytes) -> Iterator[list[str]]:
    """The first sheet's rows, every one of them whatever the dimension tag claims."""
    _check_zip(data)
    # openpyxl is heavy; the running bot never reads XLSX, so load it only here.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, XML and ZIP errors) on bad files
        raise _file_error(Problem.BAD_XLSX) from None
    try:
        sheet = workbook.worksheets[0]
        # Read-only mode stops at the <dimension> tag's last row; some writers under-report it.
        reset = getattr(sheet, "reset_dimensions", None)
        if reset is not None:
            reset()
        for row in sheet.iter_rows(values_only=True):
            yield [_cell_text(c) for c in row]
    except UnitFileError:
        raise
    except Exception:
        raise _file_error(Problem.BAD_XLSX) from None
    finally:
        workbook.close()


def decode_text(data: bytes) -> str:
    """Text from a CSV's bytes: UTF-8 (± BOM), UTF-16, Windows-1258 or Windows-1252, in NFC.

    Windows-1258 writes Vietnamese tones as combining marks after the vowel; NFC turns them
    into the letters UTF-8 files hold. Raises UnitFileError when no encoding fits.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif len(data) >= 2 and data.count(b"\x00") * 4 >= len(data):
        # UTF-16 without its BOM: every other byte of Latin text is zero.
        candidates = ["utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"]
    else:
        candidates = ["utf-8", "cp1258", "cp1252"]
    decoded: dict[str, str] = {}
    for encoding in candidates:
        try:
            decoded[encoding] = data.decode(encoding)
        except UnicodeDecodeError:
            continue
    if not decoded:
        raise _file_error(Problem.BAD_ENCODING)
    if "utf-8" in decoded or len(decoded) == 1:
        text = next(iter(decoded.values()))
    elif "cp1258" in decoded and _looks_vietnamese(decoded["cp1258"]):
        text = decoded["cp1258"]
    else:
        text = decoded.get("cp1252") or decoded["cp1258"]
    if "\x00" in text:
        raise _file_error(Problem.BAD_ENCODING)
    return unicodedata.normalize("NFC", text)


def _looks_vietnamese(text: str) -> bool:
    """Whether text decoded as Windows-1258 carries Vietnamese tones or letters."""
    return any(ch in VIETNAMESE_MARKS or ch in VIETNAMESE_LETTERS for ch in text)


class _ExcelCsv(csv.Dialect):
    """Excel's CSV: quotes doubled inside quoted fields; the delimiter is sniffed."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL
    strict = False


def _read_csv(data: bytes) -> Iterator[list[str]]:
    """Rows of a CSV file, its delimiter sniffed from a sample of the whole file."""
    text = decode_text(data)
    if not text.strip():
        return iter([])
    dialect = _ExcelCsv()
    try:
        dialect.delimiter = csv.Sniffer().sniff(text[:CSV_SAMPLE], delimiters=",;\t").delimiter
    except csv.Error:
        header = text.split("\n", 1)[0]
        dialect.delimiter = max(",;\t", key=header.count)
    return _csv_rows(text, dialect)


def _csv_rows(text: str, dialect: csv.Dialect) -> Iterator[list[str]]:
    """Parse, turning the csv module's errors (a runaway quoted field) into one refusal."""
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error:
        raise _file_error(Problem.BAD_CSV) from None
