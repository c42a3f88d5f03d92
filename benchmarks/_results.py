"""Write one benchmark's section of ``benchmarks/RESULTS.md`` in place, keeping the others."""

from __future__ import annotations

import os
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = (
    "# Benchmark results\n\n"
    "Each section is written by the script named in it; rerun one with its command, or all with "
    "`make bench`. Times are wall-clock seconds on the machine named in the section.\n"
)


def machine() -> str:
    """One line describing the machine the numbers come from."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{datetime.now(UTC).strftime('%Y-%m-%d')}"
    )


def write_section(name: str, command: str, body: str) -> Path:
    """Replace (or append) the section ``name`` of RESULTS.md with ``body``."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    section = (
        f"{begin}\n## {name}\n\nCommand: `{command}`  \nMachine: {machine()}\n\n"
        f"{body.strip()}\n{end}"
    )
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.DOTALL)
    text = (
        pattern.sub(lambda _m: section, text)
        if pattern.search(text)
        else (text.rstrip() + "\n\n" + section + "\n")
    )
    tmp = RESULTS.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, RESULTS)
    return RESULTS
