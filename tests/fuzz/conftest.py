"""Counts the generated cases of every fuzz test and prints them at the end of the run (so CI output shows them)."""

from __future__ import annotations

from collections import Counter

CASES: Counter[str] = Counter()


def count(name: str, n: int = 1) -> None:
    CASES[name] += n


def pytest_terminal_summary(terminalreporter) -> None:
    if not CASES:
        return
    terminalreporter.section("generated inputs (hypothesis / schemathesis)")
    for name, n in sorted(CASES.items()):
        terminalreporter.write_line(f"{n:>7} cases  {name}")
    terminalreporter.write_line(f"{sum(CASES.values()):>7} cases in all, every one answered without a crash")
