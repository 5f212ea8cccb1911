"""`python -m bench [names…]`: run the benchmarks and rewrite docs/benchmarks.md."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import broadcast, flood, footprint, report_ingest, stats_query
from bench.common import Section, machine_facts

BENCHMARKS: dict[str, Callable[[], Awaitable[Section]]] = {
    "broadcast": broadcast.run,
    "ingest": report_ingest.run,
    "stats": stats_query.run,
    "footprint": footprint.run,
    "flood": flood.run,
}
REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


async def main(names: list[str]) -> None:
    """Run the chosen benchmarks (all by default) and write the report."""
    logging.basicConfig(level=logging.WARNING)
    sections = []
    for name in names or list(BENCHMARKS):
        print(f"running {name}…", flush=True)
        sections.append(await BENCHMARKS[name]())
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`). Each figure is the "
        "median of 3 runs with (min–max); peers run in the same process, alternating.",
        "",
        *machine_facts(),
        "",
    ]
    for section in sections:
        lines += [f"## {section.title}", "", *section.body, ""]
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
