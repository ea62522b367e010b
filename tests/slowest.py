"""The slowest tests of one `make test`, across its pytest runs: `python -m tests.slowest N REPORT.xml...`.

Each pytest run of `tests/run-layers` writes a JUnit report; a test's time there is its setup, call
and teardown together (so a module fixture's cost shows on the test that set it up, as with
`--durations`). One list for the whole suite says where the wall time goes, whichever run it was in.
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def cases(report: Path) -> list[tuple[float, str]]:
    """(seconds, test id) of every test case in one JUnit report."""
    out = []
    for case in ET.parse(report).getroot().iter("testcase"):
        out.append((float(case.get("time") or 0), f"{case.get('classname')}::{case.get('name')}"))
    return out


def main(argv: list[str]) -> int:
    count, reports = int(argv[0]), [Path(a) for a in argv[1:] if Path(a).is_file()]
    every = sorted((c for r in reports for c in cases(r)), reverse=True)
    if not every:
        return 0
    print(f"{count} slowest tests (setup + call + teardown), of {len(every)}:")
    for seconds, test in every[:count]:
        print(f"{seconds:8.1f}s  {test}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
