"""Counts the generated cases of every fuzz test and prints them at the end of the run (so CI output shows them),
and scales each test's number of examples by the hypothesis profile in use (see the root conftest.py)."""

from __future__ import annotations

from collections import Counter

from hypothesis import settings

# The "ci" profile's max_examples: each fuzz test's count below is given for it and scales with the profile.
CI_EXAMPLES = 100


def examples(at_ci: int) -> int:
    """``at_ci`` examples under the "ci" profile, proportionally more or fewer under another."""
    return max(1, round(at_ci * settings.default.max_examples / CI_EXAMPLES))


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
