"""The progress chart: horizontal bars of % of adults per unit, with the target line.

On a phone it is an album of pages of at most 15 bars, each shaped 4:5 so that Telegram shows
it whole in the chat, lowest shares first. Past ten pages (an album's limit), one tall file.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.texts import Translator

# Bars per column: past this the chart adds columns instead of growing taller, so that the
# picture stays within the 2560 px that Telegram keeps of a photo.
ROWS_PER_COLUMN = 50
ROW_INCHES = 0.3
COLUMN_INCHES = 4.2
SINGLE_COLUMN_INCHES = 6.4
HEADER_INCHES = 1.4
DPI = 150
MAX_LABEL = 26
GOOD, LATE, TARGET, NOT_REPORTED = "#2e7d32", "#c62828", "#1565c0", "#757575"
# A page read in the chat: 960 × 1200 px, the tallest shape Telegram shows uncropped.
PAGE_BARS = 15
MAX_PAGES = 10
PAGE_INCHES = (6.4, 8.0)

Bar = tuple[str, float | None]


@dataclass(frozen=True)
class Style:
    """Type sizes: small for the many-column file, large for a page read on a phone."""

    labels: float
    values: float
    title: float


FILE_STYLE = Style(labels=8, values=7, title=10)
PAGE_STYLE = Style(labels=12, values=11, title=13)


def _short(label: str) -> str:
    """Cut a long unit name so that the bars keep their room."""
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def layout(count: int) -> tuple[int, int]:
    """(columns, bars per column) for `count` bars."""
    columns = max(1, math.ceil(count / ROWS_PER_COLUMN))
    return columns, max(1, math.ceil(count / columns))


def _ordered(bars: Sequence[Bar]) -> list[Bar]:
    """Units that never reported first (None), then the lowest shares: who needs help."""
    return sorted(bars, key=lambda bar: (bar[1] is not None, bar[1] or 0.0, bar[0]))


def page_sizes(count: int) -> list[int]:
    """Bars per page: at most PAGE_BARS, spread evenly (45 → 15, 15, 15; 16 → 8, 8)."""
    pages = max(1, math.ceil(count / PAGE_BARS))
    return [count // pages + (1 if page < count % pages else 0) for page in range(pages)]


def fits_an_album(count: int) -> bool:
    """Whether `count` bars make at most ten pages (else one tall file is sent)."""
    return len(page_sizes(count)) <= MAX_PAGES


def chart_pages(
    bars: Sequence[Bar], target: float, title: str, subtitle: str, t: Translator
) -> list[bytes]:
    """The chart as phone pages of at most 15 bars, lowest first, each "trang n/m"."""
    ordered = _ordered(bars)
    sizes = page_sizes(len(ordered))
    pages: list[bytes] = []
    start = 0
    for number, size in enumerate(sizes, start=1):
        heading = subtitle
        if len(sizes) > 1:
            heading += " · " + t.plain("chart.page", page=number, pages=len(sizes))
        chunk = ordered[start : start + size]
        start += size
        # Every page keeps the first page's row height, so bars look alike across the album.
        pages.append(
            _render([chunk], max(sizes), PAGE_INCHES, target, f"{title}\n{heading}", PAGE_STYLE, t)
        )
    return pages


def chart_png(
    bars: Sequence[Bar],
    target: float,
    title: str,
    subtitle: str,
    t: Translator,
) -> bytes:
    """Render every (label, percent) bar, lowest first, as one PNG file.

    Units that never reported (None) come first, written "chưa báo cáo" with no bar, so they
    are not mistaken for units that reported nobody (0 %). Up to 50 bars make one column;
    more are spread over several columns of the same height.
    """
    ordered = _ordered(bars)
    columns, rows = layout(len(ordered))
    width = SINGLE_COLUMN_INCHES if columns == 1 else COLUMN_INCHES * columns
    height = max(3.0, ROW_INCHES * rows + HEADER_INCHES)
    chunks = [ordered[index * rows : (index + 1) * rows] for index in range(columns)]
    return _render(chunks, rows, (width, height), target, f"{title}\n{subtitle}", FILE_STYLE, t)


def _render(
    chunks: list[list[Bar]],
    rows: int,
    inches: tuple[float, float],
    target: float,
    heading: str,
    style: Style,
    t: Translator,
) -> bytes:
    """Draw columns of bars side by side under one heading, as PNG bytes."""
    # Imported here: matplotlib costs tens of MB, and most bot processes never draw a chart.
    import matplotlib

    matplotlib.use("Agg")  # no screen on the commune PC's service account, nor in CI
    from matplotlib import pyplot as plt

    # Unit names are user text: "$…$" must stay dollars, not become mathtext (or an error).
    matplotlib.rcParams["text.parse_math"] = False
    figure = plt.figure(figsize=inches, dpi=DPI, layout="constrained")
    try:
        figure.suptitle(heading, fontsize=style.title, fontweight="bold")
        axes_list = figure.subplots(1, len(chunks), squeeze=False)[0]
        label = t.plain("chart.target", target=t.percent(target, 0))
        for axes, chunk in zip(axes_list, chunks, strict=True):
            _column(axes, chunk, rows, target, label, style, t)
        figure.supxlabel(t.plain("chart.axis"), fontsize=style.values)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _column(
    axes: object,
    chunk: list[Bar],
    rows: int,
    target: float,
    label: str,
    style: Style,
    t: Translator,
) -> None:
    """One column of bars, the dashed target line and its label above the plot."""
    from matplotlib.axes import Axes

    assert isinstance(axes, Axes)
    shares = [None if value is None else min(max(value, 0.0), 100.0) for _, value in chunk]
    values = [share or 0.0 for share in shares]
    positions = list(range(len(values)))
    axes.barh(positions, values, color=[GOOD if v >= target else LATE for v in values])
    axes.set_yticks(positions, [_short(name) for name, _ in chunk], fontsize=style.labels)
    # Every column has the same number of rows, so bars line up across columns.
    axes.set_ylim(rows - 0.5, -0.5)
    axes.set_xlim(0, 112)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.tick_params(axis="x", labelsize=style.values)
    axes.axvline(target, color=TARGET, linestyle="--", linewidth=1.2)
    # Above the plot area, where the line ends: the label is never crossed by it.
    axes.annotate(
        label,
        xy=(target, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        color=TARGET,
        fontsize=style.labels,
        fontweight="bold",
        annotation_clip=False,
    )
    not_reported = t.plain("chart.not_reported")
    for position, share in zip(positions, shares, strict=True):
        # A white backing keeps the dashed line from striking through a value near the target.
        axes.text(
            (share or 0.0) + 1,
            position,
            not_reported if share is None else t.percent(share),
            va="center",
            fontsize=style.values,
            color=NOT_REPORTED if share is None else "black",
            style="italic" if share is None else "normal",
            zorder=3,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3},
        )
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
