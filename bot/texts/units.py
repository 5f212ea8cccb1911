"""How a refused unit file is explained: each bad line, in one line of text."""

from __future__ import annotations

from bot.services.registry.unit_import import Problem, RowError, UnitFileError
from bot.texts.catalog import N_, Translator

PROBLEMS = {
    Problem.MISSING_COLUMNS: N_("units.file.missing_columns"),
    Problem.EMPTY_FILE: N_("units.file.empty"),
    Problem.NO_ROWS: N_("units.file.no_rows"),
    Problem.BAD_CODE: N_("units.file.bad_code"),
    Problem.BAD_NAME: N_("units.file.bad_name"),
    Problem.BAD_KIND: N_("units.file.bad_kind"),
    Problem.BAD_ADULTS: N_("units.file.bad_adults"),
    Problem.DUPLICATE_CODE: N_("units.file.duplicate_code"),
    Problem.DUPLICATE_NAME: N_("units.file.duplicate_name"),
    Problem.TOO_BIG: N_("units.file.too_big"),
    Problem.TOO_MANY_ROWS: N_("units.file.too_many_rows"),
    Problem.LEGACY_XLS: N_("units.file.legacy_xls"),
    Problem.BAD_XLSX: N_("units.file.bad_xlsx"),
    Problem.BAD_ENCODING: N_("units.file.bad_encoding"),
    Problem.BAD_CSV: N_("units.file.bad_csv"),
}


def row_error(t: Translator, error: RowError) -> str:
    """One bad line: "dòng 3: loại đơn vị 'x' không hợp lệ"."""
    reason = t.plain(PROBLEMS[error.problem], **dict(error.values))
    if error.line == 0:
        return reason  # the whole file
    return t.plain("units.file.line", line=str(error.line), reason=reason)


def unit_file_problems(t: Translator, error: UnitFileError) -> str:
    """The bad lines of a refused file, separated by semicolons; past the first ones, a count."""
    parts = [row_error(t, row) for row in error.errors]
    if error.more:
        parts.append(t.plain("units.file.more", count=error.more))
    return "; ".join(parts)
