"""The progress chart: horizontal bars of % of adults per unit, with the target line."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from bot.texts import Translator

# Bars per column: past this the chart adds columns instead of growing taller, so that the
# picture stays within the 2560 px that Telegram keeps of a photo.
ROWS_PER_COLUMN = 50
# Past this many bars the chart is better sent as a file (a photo is recompressed).
PHOTO_BARS = 60
ROW_INCHES = 0.3
COLUMN_INCHES = 4.2
SINGLE_COLUMN_INCHES = 6.4
HEADER_INCHES = 1.4
DPI = 150
MAX_LABEL = 26
GOOD, LATE, TARGET, NOT_REPORTED = "#2e7d32", "#c62828", "#1565c0", "#757575"


def _short(label: str) -> str:
    """Cut a long unit name so that the bars keep their room."""
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def layout(count: int) -> tuple[int, int]:
    """(columns, bars per column) for `count` bars."""
    columns = max(1, math.ceil(count / ROWS_PER_COLUMN))
    return columns, max(1, math.ceil(count / columns))


def chart_png(
    bars: Sequence[tuple[str, float | None]],
    target: float,
    title: str,
    subtitle: str,
    t: Translator,
) -> bytes:
    """Render every (label, percent) bar, lowest first, as a PNG readable on a phone.

    Units that never reported (None) come first, written "chưa báo cáo" with no bar, so they
    are not mistaken for units that reported nobody (0 %). Up to 50 bars make one column;
    more are spread over several columns of the same height.
    """
    # Imported here: matplotlib costs tens of MB, and most bot processes never draw a chart.
    import matplotlib

    matplotlib.use("Agg")  # no screen on the commune PC's service account, nor in CI
    from matplotlib import pyplot as plt

    # Unit names are user text: "$…$" must stay dollars, not become mathtext (or an error).
    matplotlib.rcParams["text.parse_math"] = False
    ordered = sorted(bars, key=lambda bar: (bar[1] is not None, bar[1] or 0.0, bar[0]))
    columns, rows = layout(len(ordered))
    width = SINGLE_COLUMN_INCHES if columns == 1 else COLUMN_INCHES * columns
    height = max(3.0, ROW_INCHES * rows + HEADER_INCHES)
    figure = plt.figure(figsize=(width, height), dpi=DPI, layout="constrained")
    try:
        figure.suptitle(f"{title}\n{subtitle}", fontsize=10, fontweight="bold")
        axes_list = figure.subplots(1, columns, squeeze=False)[0]
        label = t.plain("chart.target", target=t.percent(target, 0))
        for index, axes in enumerate(axes_list):
            chunk = ordered[index * rows : (index + 1) * rows]
            _column(axes, chunk, rows, target, label, t)
        figure.supxlabel(t.plain("chart.axis"), fontsize=8)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _column(
    axes: object,
    chunk: list[tuple[str, float | None]],
    rows: int,
    target: float,
    label: str,
    t: Translator,
) -> None:
    """One column of bars, the dashed target line and its label above the plot."""
    from matplotlib.axes import Axes

    assert isinstance(axes, Axes)
    shares = [None if value is None else min(max(value, 0.0), 100.0) for _, value in chunk]
    values = [share or 0.0 for share in shares]
    positions = list(range(len(values)))
    axes.barh(positions, values, color=[GOOD if v >= target else LATE for v in values])
    axes.set_yticks(positions, [_short(name) for name, _ in chunk], fontsize=8)
    # Every column has the same number of rows, so bars line up across columns.
    axes.set_ylim(rows - 0.5, -0.5)
    axes.set_xlim(0, 112)
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.tick_params(axis="x", labelsize=7)
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
        fontsize=8,
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
            fontsize=7,
            color=NOT_REPORTED if share is None else "black",
            style="italic" if share is None else "normal",
            zorder=3,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3},
        )
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
