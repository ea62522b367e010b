"""`make live-corpus`: every corpus repo live on its own private testbed, one row each.

python -m tests.live [REPO ...]   (default: every repo of ../shared/corpus)
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.corpus.driver import repos
from tests.live.journey import NO_WEBHOOKS, run_live
from tests.testbed.cluster import Testbed
from tests.testbed.ports import find_free_base


def main(argv: list[str]) -> int:
    names = argv or repos()
    results = []
    with tempfile.TemporaryDirectory(prefix="hlw-live-") as tmp:
        for name in names:
            dest = Path(tmp) / name
            dest.mkdir()
            tb = Testbed(dest / "testbed", port_base=find_free_base(), extra_args=NO_WEBHOOKS)
            tb.start()
            try:
                r = run_live(tb, name, dest, log=lambda line, n=name: print(f"[{n}] {line}", flush=True))
            finally:
                tb.stop(quiet=True)
            results.append(r)
            if r.journey and (r.journey.dead_end or r.first or r.second):
                print(r.journey.describe(), flush=True)
                for k, v in {**r.first, **r.second}.items():
                    print(f"  not green: {k}: {v}")
    print(f"\n{'repo':32} {'passed':>7} {'ans':>4} {'time':>8}  result")
    for r in results:
        print(r.row())
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
