"""Reading a directive from a text or Markdown file, for `binhdan broadcast`."""

from __future__ import annotations

import enum
import re
from datetime import date

from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.dates import parse_vn_date, split_number_and_date
from bot.services.common.folding import fold

# "Số: …", "Ngày: …", "V/v …", "Hạn: …" (labels compared without diacritics, see HEADER_LABELS).
HEADER = re.compile(r"^(V/v|\w+)\s*[:.]?\s*(.+)$", re.IGNORECASE)
HEADER_LABELS = frozenset({"so", "ngay", "v/v", "han"})
# The body of a file is Markdown (a documented subset, see bot/texts/markdown.py).
MARKDOWN = "markdown"


class FileProblem(enum.StrEnum):
    """What is wrong with a directive file."""

    NO_BODY = "no_body"
    BAD_DATE = "bad_date"


class DirectiveFileError(ValueError):
    """The file has no body, or a header line with a bad value."""

    def __init__(self, problem: FileProblem, value: str = "") -> None:
        """Keep the problem and the offending value."""
        super().__init__(problem.value)
        self.problem = problem
        self.value = value


def parse_directive_file(text: str, today: date) -> DirectiveContent:
    """Read optional header lines, then the body.

    A first line "# Subject" sets the subject; lines "Số: 310/UBND-VHXH", "Ngày: 20/04/2026",
    "V/v …" and "Hạn: 30/04/2026" before the first blank line set the other fields.
    """
    lines = text.replace("\r\n", "\n").strip().split("\n")
    fields: dict[str, str] = {}
    body_start = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if index == 0 and stripped.startswith("#"):
            fields["v/v"] = stripped.lstrip("#").strip()
            body_start = index + 1
            continue
        match = HEADER.match(stripped)
        if not match or fold(match.group(1)) not in HEADER_LABELS:
            break
        fields[fold(match.group(1))] = match.group(2).strip()
        body_start = index + 1
    body = "\n".join(lines[body_start:]).strip()
    if not body:
        raise DirectiveFileError(FileProblem.NO_BODY)
    return DirectiveContent(
        subject=fields.get("v/v", ""),
        body=body,
        number=_number(fields, today)[0],
        issued_on=_date(fields, "ngay", today) or _number(fields, today)[1],
        deadline=_date(fields, "han", today),
        body_format=MARKDOWN,
    )


def _number(fields: dict[str, str], today: date) -> tuple[str | None, date | None]:
    """The number, and a date written after it."""
    if "so" not in fields:
        return None, None
    number, issued = split_number_and_date(fields["so"], today)
    return number[:64] or None, issued


def _date(fields: dict[str, str], key: str, today: date) -> date | None:
    """A header date, refusing a malformed one."""
    if key not in fields:
        return None
    parsed = parse_vn_date(fields[key], today)
    if parsed is None:
        raise DirectiveFileError(FileProblem.BAD_DATE, fields[key])
    return parsed
