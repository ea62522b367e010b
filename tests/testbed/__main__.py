"""``python -m tests.testbed up|down|status`` (what ``make testbed-up``/``make testbed-down`` run).

``up`` starts the testbed, leaves it running, prints timings to stderr and the kubeconfig path as
the LAST line of stdout (so ``KUBECONFIG=$(make -s testbed-up | tail -1)`` works). ``down`` stops
the testbed recorded in the run dir ($TESTBED_RUN_DIR or /tmp/homelab-wizard-testbed).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cluster import AlreadyRunning, Testbed, TestbedError, default_run_dir
from .components import MissingBinaries
from .ports import PortInUse
from .procs import proc_alive


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.testbed", description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["up", "down", "status"])
    ap.add_argument("--run-dir", type=Path, default=None, help="default: $TESTBED_RUN_DIR or /tmp/homelab-wizard-testbed")
    a = ap.parse_args(argv)
    run_dir = a.run_dir or default_run_dir()
    try:
        if a.command == "up":
            existing = Testbed.from_run_dir(run_dir)
            # Reuse only a healthy testbed that an earlier `up` left running; leftovers of a
            # killed pytest run are stale and get cleaned up by start().
            if existing._pidfile.read().get("detached") and not existing.health():
                print(f"testbed: already running in {run_dir}", file=sys.stderr)
                print(existing.kubeconfig)
                return 0
            tb = Testbed(run_dir)
            tb.start(detached=True)
            print(f"testbed: ready in {tb.startup_seconds}s (server {tb.server}, logs in {tb.logs_dir})", file=sys.stderr)
            print("testbed: per component, seconds to healthy: " +
                  ", ".join(f"{k} {v}" for k, v in tb.timings.items()), file=sys.stderr)
            print("testbed: loopback only: never kubectl logs/exec/port-forward/proxy against it; "
                  "kubeseal only with --cert; stop it with `make testbed-down`", file=sys.stderr)
            print(tb.kubeconfig)
        elif a.command == "down":
            tb = Testbed.from_run_dir(run_dir)
            info = tb._pidfile.read()
            if not info:
                print(f"testbed: nothing running in {run_dir}", file=sys.stderr)
                return 0
            owner = info.get("owner_pid")
            if not info.get("detached") and owner and proc_alive(owner):
                # A test session's testbed: stopping it would kill a running `make test`.
                print(f"testbed: refusing to stop the testbed in {run_dir}: it was started by process {owner} "
                      "(a test run), not by `make testbed-up`; it stops when that run ends", file=sys.stderr)
                return 1
            tb.stop()
            print(f"testbed: stopped (logs kept in {tb.logs_dir})", file=sys.stderr)
        else:
            tb = Testbed.from_run_dir(run_dir)
            if not tb._pidfile.read():
                print(f"testbed: nothing running in {run_dir}")
                return 1
            problems = tb.health()
            print("\n\n".join(problems) if problems else f"testbed: healthy ({tb.server})")
            return 1 if problems else 0
    except (MissingBinaries, PortInUse, AlreadyRunning, TestbedError) as e:
        print(str(e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
