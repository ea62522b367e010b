"""What one tool run costs in CPU: the runner's two ways to start a tool, and kubectl with GOGC.

1. The runner starts a captured command (no line callback) through `subprocess`, a streamed one through
   `sh` (wizard/spawn.py). CPU of the wizard's process and the child per run of `git --version`, for
   Runner.run (captured), Runner.run with a line callback (sh) and a bare `subprocess.run` (the baseline),
   in a process holding ~60 MB of Python objects, as a wizard that has parsed a repo does (sh forks it).
   Target: the captured path within 2× the bare baseline.
2. `kubectl kustomize` of the demo's monitoring folder (offline), with the default GOGC and with GOGC=400
   (what tests/conftest.py sets for the suite). Informational: the ratio is printed, no target.

    .venv/bin/python benchmarks/tool_runs.py [--reps N] [--check]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys

try:
    from .common import ROOT, demo_repo
except ImportError:  # run as a script
    from common import ROOT, demo_repo

TARGET = 2.0


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def per_run_ms(fn, reps: int) -> float:
    fn()  # warm: imports, caches
    t0 = _cpu()
    for _ in range(reps):
        fn()
    return (_cpu() - t0) / reps * 1000


def spawn_costs(reps: int) -> dict[str, float]:
    from wizard.runner import Runner

    ballast = [bytearray(1000) for _ in range(60_000)]  # noqa: F841 - the heap a fork has to copy
    runner = Runner()
    git = shutil.which("git") or "git"
    return {
        "bare subprocess.run": per_run_ms(lambda: subprocess.run([git, "--version"], capture_output=True), reps),
        "Runner.run (captured)": per_run_ms(lambda: runner.run([git, "--version"]), reps),
        "Runner.run (streamed, sh)": per_run_ms(lambda: runner.run([git, "--version"], on_line=lambda _: None),
                                                reps),
    }


def kubectl_costs(reps: int) -> dict[str, float] | None:
    kubectl = shutil.which("kubectl", path=f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}")
    if kubectl is None:
        return None
    with demo_repo() as repo:
        folder = str(repo / "infrastructure/kubernetes/monitoring")
        env = {k: v for k, v in os.environ.items() if k != "GOGC"}

        def run(gogc: str | None):
            e = dict(env, **({"GOGC": gogc} if gogc else {}))
            return lambda: subprocess.run([kubectl, "kustomize", folder], env=e, capture_output=True, check=True)

        return {"kubectl kustomize, default GOGC": per_run_ms(run(None), reps),
                "kubectl kustomize, GOGC=400": per_run_ms(run("400"), reps)}


def main(argv: list[str]) -> bool:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=40)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    spawn = spawn_costs(args.reps)
    for name, ms in spawn.items():
        print(f"{name}: {ms:.1f} ms CPU per run (mean of {args.reps})")
    ratio = spawn["Runner.run (captured)"] / spawn["bare subprocess.run"]
    ok = ratio <= TARGET
    print(f"captured run vs bare subprocess.run: {ratio:.2f}× (target ≤ {TARGET:g}×) {'OK' if ok else 'OVER TARGET'}; "
          f"sh's start costs {spawn['Runner.run (streamed, sh)'] / spawn['bare subprocess.run']:.1f}× the baseline")
    kube = kubectl_costs(max(10, args.reps // 2))
    if kube:
        for name, ms in kube.items():
            print(f"{name}: {ms:.1f} ms CPU per run")
        print(f"GOGC=400 vs default: {kube['kubectl kustomize, GOGC=400'] / kube['kubectl kustomize, default GOGC']:.2f}×")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1:]) or "--check" not in sys.argv else 1)
