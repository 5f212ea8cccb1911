"""The progress chart: horizontal bars of % of adults per unit, with the target line."""

from __future__ import annotations

import io

from bot.texts import Translator

MAX_BARS = 30


def chart_png(
    bars: list[tuple[str, float]], target: float, title: str, subtitle: str, t: Translator
) -> bytes:
    """Render (label, percent) bars, lowest at the top, as a phone-friendly PNG.

    Long lists keep the lowest MAX_BARS: those are the units that need attention.
    """
    # Imported here: matplotlib costs tens of MB, and most bot processes never draw a chart.
    import matplotlib

    matplotlib.use("Agg")  # no screen on the commune PC's service account, nor in CI
    from matplotlib import pyplot as plt

    # Unit names are user text: "$…$" must stay dollars, not become mathtext (or an error).
    matplotlib.rcParams["text.parse_math"] = False
    ordered = sorted(bars, key=lambda bar: bar[1])[:MAX_BARS]
    if len(bars) > MAX_BARS:
        subtitle = t.plain("chart.lowest", subtitle=subtitle, shown=MAX_BARS, total=len(bars))
    labels = [label for label, _ in ordered]
    values = [min(value, 100.0) for _, value in ordered]
    height = max(3.0, 0.32 * len(ordered) + 1.6)
    figure = plt.figure(figsize=(6.4, height), dpi=150)
    try:
        axes = figure.add_subplot()
        colours = ["#2e7d32" if v >= target else "#c62828" for v in values]
        positions = range(len(values))
        axes.barh(list(positions), values, color=colours)
        axes.set_yticks(list(positions), labels, fontsize=8)
        axes.invert_yaxis()
        axes.set_xlim(0, 100)
        axes.axvline(target, color="#1565c0", linestyle="--", linewidth=1.2)
        axes.text(
            target,
            -0.9,
            t.plain("chart.target", target=t.percent(target, 0)),
            color="#1565c0",
            fontsize=8,
            ha="center",
        )
        for position, value in zip(positions, values, strict=True):
            axes.text(value + 1, position, t.percent(value), va="center", fontsize=7)
        axes.set_xlabel(t.plain("chart.axis"), fontsize=8)
        figure.suptitle(title, fontsize=10, fontweight="bold")
        axes.set_title(subtitle, fontsize=8)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
