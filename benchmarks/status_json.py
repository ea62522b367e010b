"""`homelab-wizard status --json` against `python -c "import json"`, and proof it loads no UI.

The headless commands must start fast and work where no TUI toolkit is wanted, so `status
--json` must not import Textual (or questionary). Each sample is a fresh process; the two
commands alternate in the same run and their medians are compared. Target: ≤ 2×.
The slowest imports of the status command are listed to show where the time goes.

    .venv/bin/python benchmarks/status_json.py [--reps N] [--check]
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

try:
    from .common import PY, ROOT, demo_repo, report
except ImportError:  # run as a script
    from common import PY, ROOT, demo_repo, report

TARGET = 2.0
CLI = Path(PY).parent / "homelab-wizard"
UI_MODULES = ("textual", "questionary", "prompt_toolkit")

# Imports wizard.cli and runs `status --json` in-process, then lists UI modules that got loaded.
NO_UI_PROBE = """
import time
t0 = time.perf_counter()
import contextlib, io, json, sys
from wizard.cli import main
t1 = time.perf_counter()
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(["--repo", sys.argv[1], "status", "--json"])
t2 = time.perf_counter()
json.loads(out.getvalue())
print(json.dumps({"exit": code, "ui": sorted(m for m in sys.modules if m.split(".")[0] in %r),
                  "import_ms": (t1 - t0) * 1000, "run_ms": (t2 - t1) * 1000}))
""" % (UI_MODULES,)


def timed(argv: list[str]) -> float:
    t0 = time.perf_counter()
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({out.returncode}):\n{out.stderr}")
    return elapsed


def probe(repo: Path) -> dict:
    """Run status in-process once: its exit code, the UI modules loaded, import and run times."""
    out = subprocess.run([PY, "-c", NO_UI_PROBE, str(repo)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"the no-UI probe failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def slowest_imports(repo: Path, top: int = 8) -> list[tuple[int, str]]:
    """The top-level-ish imports with the largest cumulative time (python -X importtime)."""
    out = subprocess.run([PY, "-X", "importtime", "-c", "from wizard.cli import main; import sys; "
                          "sys.stdout = open('/dev/null', 'w'); main(['--repo', sys.argv[1], 'status', '--json'])",
                          str(repo)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    rows = []
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m[2]) <= 3:  # direct imports of the entry point and one level below
            rows.append((int(m[1]), m[3]))
    return sorted(rows, reverse=True)[:top]


def main(argv: list[str] | None = None) -> bool:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=9)
    p.add_argument("--check", action="store_true", help="exit 1 when over the target or a UI module loads")
    args = p.parse_args(argv)
    if not CLI.exists():
        raise SystemExit(f"{CLI} is missing; run 'make install' first")
    with demo_repo() as repo:
        status = [str(CLI), "--repo", str(repo), "status", "--json"]
        baseline = [PY, "-c", "import json"]
        timed(status)
        timed(baseline)
        ours, base = [], []
        for _ in range(args.reps):
            base.append(timed(baseline))
            ours.append(timed(status))
        ok = report("homelab-wizard status --json", ours, base, 'python -c "import json"', TARGET)
        data = probe(repo)
        ui = data["ui"]
        print(f"UI modules loaded by wizard.cli + status --json (exit {data['exit']}): "
              f"{', '.join(ui) if ui else 'none'} {'OK' if not ui else 'FAIL'}")
        print(f"where the time goes: importing wizard.cli {data['import_ms']:.0f} ms; running status "
              f"(find the repo, read the state file, the catalog, JSON out; wizard.status_view) {data['run_ms']:.0f} ms")
        print("slowest imports (cumulative µs):")
        for us, name in slowest_imports(repo):
            print(f"  {us:>8}  {name}")
    return ok and not ui


if __name__ == "__main__":
    ok = main()
    sys.exit(1 if "--check" in sys.argv and not ok else 0)
