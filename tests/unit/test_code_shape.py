"""The shape of the code (issue 12): small modules, and no function harder to follow than radon's C."""
from __future__ import annotations

from pathlib import Path

from radon import complexity as radon  # in the test extras: a missing radon is a failure, not a skip

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for d in ("wizard", "screens") for p in (ROOT / d).rglob("*.py"))
MAX_LINES = 400


def test_there_are_sources_to_check():
    assert len(SOURCES) > 50


def test_no_module_is_over_400_lines():
    long = [f"{p.relative_to(ROOT)} ({n} lines)" for p in SOURCES
            if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert long == [], "split these by what they do: " + ", ".join(long)


def test_no_function_is_rated_worse_than_c_by_radon():
    worse = []
    for p in SOURCES:
        for block in radon.sorted_results(radon.cc_visit(p.read_text())):
            if radon.cc_rank(block.complexity) in "DEF":
                worse.append(f"{p.relative_to(ROOT)}:{block.lineno} {block.name} "
                             f"({radon.cc_rank(block.complexity)}, {block.complexity})")
    assert worse == [], "extract helpers from: " + "; ".join(worse)


def test_the_radon_check_can_fail():
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(30))
    blocks = radon.cc_visit(f"def f(x):\n{branches}\n    return -1\n")
    assert radon.cc_rank(blocks[0].complexity) in "DEF"
