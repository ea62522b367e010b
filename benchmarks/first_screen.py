"""Time to the wizard's first rendered screen against a bare Textual app with one static screen.

Both apps alternate in the same run and their medians are compared:

- cold start (the target, ≤ 1.2×): a fresh interpreter per sample, from process start to the
  first screen laid out, so the imports, `Session.open` (repo, state) and the home screen's
  compose and render are all included: what a user waits for after typing `homelab-wizard`.
  Both start from compiled bytecode, as an installed wheel does (pip compiles it; a checkout
  writes it on its first run, unless PYTHONDONTWRITEBYTECODE is set, so it is compiled here
  first). The same samples' CPU time is printed too: on a machine shared with other work it
  moves far less than the wall clock;
- in-process (reported for reference, no target): imports done and the Session opened, the
  time from `make_app(session)` to the home screen ready (headless `run_test`). It isolates
  the cost of the screen itself: the home screen's stylesheet, five phases with their bars
  and the footer against one Static, so its ratio is far above the cold start's, where the
  shared cost of starting Python and importing Textual dominates.

    .venv/bin/python benchmarks/first_screen.py [--reps N] [--check]
"""
from __future__ import annotations

import argparse
import asyncio
import compileall
import re
import os
import statistics
import subprocess
import sys
import time

try:
    from .common import PY, ROOT, demo_repo, median_ms, report
except ImportError:  # run as a script
    from common import PY, ROOT, demo_repo, median_ms, report

TARGET = 1.2
SIZE = (110, 34)


def bare_app():
    """A bare Textual app whose only screen shows one Static."""
    from textual.app import App, ComposeResult
    from textual.screen import Screen
    from textual.widgets import Static

    class OneScreen(Screen):
        """The one screen: a single Static."""

        def compose(self) -> ComposeResult:
            yield Static("Hello from a bare Textual app")

    class Bare(App):
        """Nothing but OneScreen."""

        def get_default_screen(self) -> Screen:
            return OneScreen()

    return Bare()


async def until_first_screen(make, expected: str) -> tuple[float, float]:
    """Build the app with `make()`; the wall-clock time its first screen is ready, and the CPU time
    the process had used by then (its start-up included)."""
    app = make()
    async with app.run_test(size=SIZE):
        at, cpu = time.time(), time.process_time()
        if type(app.screen).__name__ != expected:
            raise SystemExit(f"the first screen is {type(app.screen).__name__}, not {expected}")
    return at, cpu


def open_session(repo: str):
    from wizard.session import Session

    session = Session.open(repo)
    session.store.acquire("benchmark")
    session.store.load()
    return session


# -- in-process ------------------------------------------------------------------------------
def in_process(repo: str, reps: int) -> tuple[list[float], list[float]]:
    from screens.app import make_app

    session = open_session(repo)
    try:
        def timed(make, expected: str) -> float:
            t0 = time.time()
            return asyncio.run(until_first_screen(make, expected))[0] - t0

        timed(bare_app, "OneScreen")  # first use of each widget class and its CSS
        timed(lambda: make_app(session), "HomeScreen")
        bare, wizard = [], []
        for _ in range(reps):
            bare.append(timed(bare_app, "OneScreen"))
            wizard.append(timed(lambda: make_app(session), "HomeScreen"))
        return wizard, bare
    finally:
        session.store.release()


# -- cold start ------------------------------------------------------------------------------
def child(kind: str, repo: str) -> tuple[float, float]:
    if kind == "bare":
        return asyncio.run(until_first_screen(bare_app, "OneScreen"))
    from screens.app import make_app

    session = open_session(repo)
    try:
        return asyncio.run(until_first_screen(lambda: make_app(session), "HomeScreen"))
    finally:
        session.store.release()


def cold_sample(kind: str, repo: str) -> tuple[float, float]:
    """(wall seconds from spawning the child to its first screen, the child's CPU seconds by then)."""
    started = time.time()
    out = subprocess.run([PY, __file__, "--child", kind, repo], cwd=ROOT, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"the {kind} child failed:\n{out.stderr}")
    at, cpu = map(float, out.stdout.strip().splitlines()[-1].split())
    return at - started, cpu


def compile_bytecode() -> None:
    """Compile the wizard's modules as installing it would (only what changed; quietly)."""
    for folder in ("wizard", "screens", "assets"):
        # never the demo repo's own Python files: their __pycache__ would land in the repo the demo lays out
        compileall.compile_dir(ROOT / folder, quiet=2, rx=re.compile(r"assets/demo/"))


def cold_start(repo: str, reps: int) -> dict[str, tuple[list[float], list[float]]]:
    """{"wizard"|"bare": (wall samples, CPU samples)}, the two alternating."""
    compile_bytecode()
    cold_sample("wizard", repo)  # warm the OS file cache for both
    cold_sample("bare", repo)
    samples: dict[str, tuple[list[float], list[float]]] = {"wizard": ([], []), "bare": ([], [])}
    for _ in range(reps):
        for kind in ("bare", "wizard"):
            wall, cpu = cold_sample(kind, repo)
            samples[kind][0].append(wall)
            samples[kind][1].append(cpu)
    return samples


def main(argv: list[str] | None = None) -> bool:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--check", action="store_true", help="exit 1 when over the target")
    p.add_argument("--child", nargs=2, metavar=("KIND", "REPO"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(*child(*args.child))
        return True
    with demo_repo() as repo:
        samples = cold_start(str(repo), args.reps)
        (wizard, wizard_cpu), (bare, bare_cpu) = samples["wizard"], samples["bare"]
        ok = report("first screen, cold start (process start to the home screen): wizard home", wizard, bare,
                    "bare one-Static app", TARGET)
        ratio = statistics.median(wizard_cpu) / statistics.median(bare_cpu)
        print(f"  the same samples' CPU time: {median_ms(wizard_cpu):.0f} ms vs {median_ms(bare_cpu):.0f} ms "
              f"→ {ratio:.2f}× (a busy machine moves it less than the wall clock; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        wizard, bare = in_process(str(repo), args.reps)
        ratio = statistics.median(wizard) / statistics.median(bare)
        print(f"  for reference, in-process (make_app to the screen ready, imports and Session.open excluded): "
              f"{median_ms(wizard):.0f} ms vs {median_ms(bare):.0f} ms → {ratio:.2f}× (no target)")
    return ok


if __name__ == "__main__":
    ok = main()
    sys.exit(1 if "--check" in sys.argv and not ok else 0)
