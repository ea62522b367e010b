"""Run every benchmark (`make bench`): first screen and `status --json`. `--check` fails on a missed target.

`--drift` also runs drift_healing (opt-in: it starts a private testbed and takes ~2-3 minutes).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import first_screen  # noqa: E402
import status_json  # noqa: E402


def main() -> int:
    extra = ["--check"] if "--check" in sys.argv else []
    results = [first_screen.main(extra), status_json.main(extra)]
    if "--drift" in sys.argv:  # opt-in: needs the testbed binaries (make testbed-build)
        import drift_healing

        results.append(drift_healing.main([]))
    print("all targets met" if all(results) else "some targets were missed (see above)")
    return 1 if extra and not all(results) else 0


if __name__ == "__main__":
    sys.exit(main())
