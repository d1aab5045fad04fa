"""`make bench`: run every benchmark, print the table, write benchmarks/results.md."""

from __future__ import annotations

import sys
from pathlib import Path

from . import common  # noqa: F401  (sets the environment before TensorFlow and Qt load)
from . import gui, latency, throughput
from .common import machine, table

SUITES = {
    "throughput": throughput.measure,
    "latency": latency.measure,
    "startup": gui.startup,
    "gui": gui.gui_vs_headless,
    "history": gui.large_history,
    "preview": gui.preview_redraw,
}


def main(argv: list[str]) -> int:
    chosen = argv or list(SUITES)
    figures = []
    for name in chosen:
        print(f"… {name}", file=sys.stderr, flush=True)
        figures += SUITES[name]()
    text = f"# Benchmark results\n\n{machine()}\n\n{table(figures)}\n"
    print(text)
    if not argv:
        (Path(__file__).parent / "results.md").write_text(text, encoding="utf-8")
    return 0


raise SystemExit(main(sys.argv[1:]))
