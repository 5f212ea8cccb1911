"""The progress report's content, laid out once for both the XLSX and the PDF (NĐ 30/2020).

Sections "I. Thôn, buôn" and "II. Cơ quan, trường học", each with its subtotal, then the
grand total; the heading blocks, the signature block and their texts are shared too, so the
two files always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from bot.services.reports.periods import Period
from bot.services.stats.export_data import ExportData
from bot.services.stats.stats import UnitStat
from bot.settings import Settings
from bot.texts import N_, Translator

NUMERALS = ("I", "II", "III", "IV")
# The table's columns, in order: (header key, width in XLSX characters, width in PDF mm).
# The PDF widths fill A4 landscape between the margins (262 mm).
COLUMNS = (
    (N_("xlsx.col.number"), 6, 12),
    (N_("xlsx.col.unit"), 28, 52),
    (N_("xlsx.col.adults"), 14, 23),
    (N_("xlsx.col.enrolled"), 14, 23),
    (N_("xlsx.col.percent"), 11, 19),
    (N_("xlsx.col.completed"), 14, 23),
    (N_("xlsx.col.reported_on"), 14, 23),
    (N_("xlsx.col.reporter"), 24, 42),
    (N_("xlsx.col.evidence"), 13, 20),
    (N_("xlsx.col.note"), 16, 25),
)
SECTION_TITLES = (N_("report.section.residential"), N_("report.section.agencies"))


@dataclass(frozen=True)
class Signatures:
    """The signature block: who prepared the table (left) and who signs (right)."""

    preparer: str
    authority: str
    title: str
    signer: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Signatures:
        """The names and titles from the REPORT_* settings."""
        return cls(
            settings.report_preparer_name.strip(),
            settings.report_signer_authority.strip(),
            settings.report_signer_title.strip(),
            settings.report_signer_name.strip(),
        )


def _share(enrolled: int | None, adults: int | None) -> float | None:
    """Enrolled over adults as a fraction (0.452), when both are known."""
    if enrolled is None or not adults:
        return None
    return enrolled / adults


@dataclass(frozen=True)
class Totals:
    """Sums of a section or of the whole table."""

    adults: int
    enrolled: int
    completed: int
    evidence: int = 0

    @property
    def share(self) -> float | None:
        """Enrolled over adults."""
        return _share(self.enrolled, self.adults)


@dataclass(frozen=True)
class ReportLine:
    """One unit of the table."""

    number: int
    unit: str
    adults: int | None
    enrolled: int | None
    completed: int | None
    reported_on: date | None
    reporter: str
    late: bool
    # Evidence photos and files the unit sent this period.
    evidence: int = 0

    @property
    def share(self) -> float | None:
        """Enrolled over adults."""
        return _share(self.enrolled, self.adults)


@dataclass(frozen=True)
class Section:
    """A group of units ("I", "Thôn, buôn") with its subtotal."""

    numeral: str
    title_key: str
    lines: list[ReportLine]
    totals: Totals


@dataclass(frozen=True)
class ReportTable:
    """Everything the report prints."""

    commune: str
    period: Period
    made_on: date
    sections: list[Section]
    total: Totals
    signatures: Signatures


def _sum(lines: list[ReportLine]) -> Totals:
    """Add up figures, unknown ones counting as nothing."""
    return Totals(
        sum(line.adults or 0 for line in lines),
        sum(line.enrolled or 0 for line in lines),
        sum(line.completed or 0 for line in lines),
        sum(line.evidence for line in lines),
    )


def _line(number: int, stat: UnitStat, reporter: str, evidence: int, tz: ZoneInfo) -> ReportLine:
    """One unit's row: its latest figures, and whether it reported this period."""
    return ReportLine(
        number=number,
        unit=stat.name,
        adults=stat.adults,
        enrolled=stat.enrolled,
        completed=stat.completed,
        reported_on=stat.reported_at.astimezone(tz).date() if stat.reported_at else None,
        reporter=reporter,
        late=not stat.reported_this_period,
        evidence=evidence,
    )


def report_table(
    data: ExportData, commune: str, signatures: Signatures, tz: ZoneInfo
) -> ReportTable:
    """Group the units into sections (by code within each) and add the totals up."""
    groups = (
        [s for s in data.units if s.residential],
        [s for s in data.units if not s.residential],
    )
    sections: list[Section] = []
    for title, stats in zip(SECTION_TITLES, groups, strict=True):
        if not stats:
            continue
        ordered = sorted(stats, key=lambda s: s.code)
        lines = [
            _line(
                index,
                stat,
                data.people.get(stat.unit_id, ""),
                data.evidence.get(stat.unit_id, 0),
                tz,
            )
            for index, stat in enumerate(ordered, start=1)
        ]
        sections.append(Section(NUMERALS[len(sections)], title, lines, _sum(lines)))
    # The commune's figure is section I alone: agencies' staff also live in the thôn/buôn and
    # are counted there, so adding section II would count them twice (and disagree with
    # /thongke and the footnote). Section II keeps its own subtotal.
    residential = [s for s in sections if s.title_key == SECTION_TITLES[0]]
    total = residential[0].totals if residential else Totals(0, 0, 0, 0)
    return ReportTable(
        commune,
        data.summary.period,
        data.now.astimezone(tz).date(),
        sections,
        total,
        signatures,
    )


def recipients(t: Translator) -> list[str]:
    """The "Nơi nhận" block under a report (NĐ 30/2020): its title, then one line each."""
    return [
        t.plain("document.recipients"),
        t.plain("document.recipient.province"),
        t.plain("document.recipient.commune"),
        t.plain("document.recipient.archive"),
    ]


def place_date(t: Translator, commune: str, day: date) -> str:
    """Write "Ea Knốp, ngày 05 tháng 02 năm 2026" (NĐ 30 pads days below 10, months 1 and 2)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return t.plain(
        "document.place_date",
        commune=commune,
        day=f"{day.day:02d}",
        month=month,
        year=str(day.year),
    )


def period_line(t: Translator, period: Period) -> str:
    """The line under the title: the period the figures cover."""
    return t.plain("document.period", first=t.date(period.first_day), last=t.date(period.last_day))
