"""`python -m bench [names…]`: run the benchmarks and update docs/benchmarks.md.

All of them (the default) rewrite the report; a few by name replace only their own sections,
each stamped with the date and machine of that run, and keep the others as they were.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import broadcast, flood, footprint, province, report_ingest, stats_query, workers
from bench.common import Section, machine_facts

BENCHMARKS: dict[str, Callable[[], Awaitable[Section]]] = {
    "broadcast": broadcast.run,
    "ingest": report_ingest.run,
    "stats": stats_query.run,
    "footprint": footprint.run,
    "flood": flood.run,
    "workers": workers.run,
    "province": province.run,
}
REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
INTRO = [
    "# Benchmarks",
    "",
    "Written by `make bench` (`python -m bench`). Each figure is the "
    "median of 3 runs with (min–max); peers run in the same process, alternating.",
    "",
]


def split_sections(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The report's header lines, and its `## ` sections as (title, body lines)."""
    header: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        match = re.match(r"## (.+)", line)
        if match:
            sections.append((match[1], []))
        elif sections:
            sections[-1][1].append(line)
        else:
            header.append(line)
    return header, [(title, _trimmed(body)) for title, body in sections]


def _trimmed(lines: list[str]) -> list[str]:
    """Without leading and trailing blank lines."""
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def render(header: list[str], sections: list[tuple[str, list[str]]]) -> str:
    """The Markdown report."""
    lines = list(header)
    while lines and not lines[-1].strip():
        lines.pop()
    lines.append("")
    for title, body in sections:
        lines += [f"## {title}", "", *body, ""]
    return "\n".join(lines)


def updated(previous: str | None, fresh: list[Section], everything: bool) -> str:
    """The new report: all fresh, or the fresh sections merged into the previous report."""
    if everything or previous is None:
        return render([*INTRO, *machine_facts()], [(s.title, s.body) for s in fresh])
    header, sections = split_sections(previous)
    stamp = "_Re-run alone: " + "; ".join(fact.removeprefix("- ") for fact in machine_facts())
    stamped = {s.title: [stamp + "_", "", *s.body] for s in fresh}
    merged = [(title, stamped.pop(title, body)) for title, body in sections]
    merged += list(stamped.items())
    return render(header, merged)


async def main(names: list[str]) -> None:
    """Run the chosen benchmarks (all by default) and write the report."""
    logging.basicConfig(level=logging.WARNING)
    chosen = names or list(BENCHMARKS)
    sections = []
    for name in chosen:
        print(f"running {name}…", flush=True)
        sections.append(await BENCHMARKS[name]())
    previous = REPORT.read_text(encoding="utf-8") if REPORT.exists() else None
    text = updated(previous, sections, everything=set(chosen) == set(BENCHMARKS))
    REPORT.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
