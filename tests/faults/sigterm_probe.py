"""Issue 23's SIGTERM probe: the wizard stopped by SIGTERM at random points across 2.1–2.5 and S.3.

Each run lays out the Phase 2 fixture homelab (a plaintext Secret included) with option A, runs the items before
a randomly chosen one to completion, starts that one and sends SIGTERM after a random delay (0–3 s: from before
its first step to after its end). Then, at once, with no other command run in between:
  - no plaintext copy of the Secret anywhere outside the user's own tree: not in the data dir (scratch
    worktrees), not in the temp dir the wizard and its tools were given (TMPDIR);
  - no scratch worktree still registered with git;
  - no orphaned process: nothing still running whose command line names the repo or the data dir;
  - no item shown as running (`status --json`).
Real CLI, git, kubectl kustomize, sops and age on temp repos; no cluster.

    .venv/bin/python -m tests.faults.sigterm_probe [--runs 30] [--seed N]
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers import NO_CLUSTER, VENV_BIN, cli_env, git, run_cli, status_json
from tests.integration.phase2_fixture import make_homelab

CANARY = "n8n-key-test-not-a-real-secret"  # the fixture's plaintext Secret value
STEPS = [("repo.cluster-dir", []), ("repo.kustomizations", []), ("repo.apps", []), ("repo.flux-manifests", []),
         ("secrets.scan", ["--set", "secrets=sops"]), ("secrets.keys", []), ("secrets.convert", []),
         ("repo.commit-push", ["--set", "ci-deploy=push"])]


@dataclass
class Run:
    target: str
    delay: float
    exit_code: int | None = None
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        verdict = "ok" if not self.problems else "; ".join(self.problems)
        return f"{self.target:22} SIGTERM after {self.delay:4.2f}s  exit {self.exit_code}  {verdict}"


def _wizard(repo: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_cli("--repo", str(repo), *args, env=env, timeout=300)


def _leftover_processes(*names: str) -> list[str]:
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(n in cmd for n in names):
            out.append(f"{pid}: {cmd[:120]}")
    return out


def _files_holding(root: Path, text: str, since: float, skip: Path) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == skip or skip in Path(dirpath).parents:
            dirnames[:] = []
            continue
        for name in filenames:
            f = Path(dirpath) / name
            try:
                if f.is_symlink() or not f.is_file() or f.stat().st_mtime < since or f.stat().st_size > 5_000_000:
                    continue
                if text.encode() in f.read_bytes():
                    found.append(str(f))
            except OSError:
                continue
    return found


def one_run(work: Path, rng: random.Random) -> Run:
    t0 = time.time()
    repo = make_homelab(work / "repo", with_secret=True)
    data = work / "data"
    tmp = work / "tmp"  # the temp dir of the wizard and every tool it starts (TMPDIR): scanned after the stop
    tmp.mkdir()
    env = cli_env(HOMELAB_WIZARD_DATA=str(data), TMPDIR=str(tmp), **NO_CLUSTER)
    assert _wizard(repo, env, "run", "prep.structure", "--set", "option=a", "--yes").returncode == 0
    target = rng.randrange(len(STEPS))
    for item, extra in STEPS[:target]:
        res = _wizard(repo, env, "run", item, *extra, "--yes")
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
    item, extra = STEPS[target]
    run = Run(item, round(rng.uniform(0.0, 3.0), 2))
    proc = subprocess.Popen([str(VENV_BIN / "homelab-wizard"), "--repo", str(repo), "run", item, *extra, "--yes"],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(run.delay)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    run.exit_code = proc.returncode
    # 143: stopped in order; 0: it had finished; -15: the signal came before Python had set its handlers (the
    # first few hundredths of a second), when nothing had begun: the checks below hold for it all the same.
    if proc.returncode not in (0, 143, -signal.SIGTERM):
        run.problems.append(f"exit code {proc.returncode}")
    plain = _files_holding(data, CANARY, 0, skip=repo) + _files_holding(tmp, CANARY, t0, skip=repo)
    if plain:
        run.problems.append(f"plaintext copies: {plain[:3]}")
    worktrees = git(repo, "worktree", "list").splitlines()
    if len(worktrees) != 1:
        run.problems.append(f"scratch worktrees still registered: {worktrees[1:]}")
    orphans = _leftover_processes(str(repo), str(data))
    if orphans:
        run.problems.append(f"still running: {orphans[:3]}")
    running = [it["id"] for ph in status_json(repo, env)["phases"] for it in ph["items"] if it["status"] == "running"]
    if running:
        run.problems.append(f"shown as running: {running}")
    return run


def probe(runs: int, seed: int, root: Path) -> list[Run]:
    rng = random.Random(seed)
    out = []
    for i in range(runs):
        work = root / f"run-{i}"
        work.mkdir()
        out.append(one_run(work, rng))
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hlw-sigterm-probe-", dir=os.environ.get("TMPDIR")) as tmp:
        results = probe(args.runs, args.seed, Path(tmp))
    for r in results:
        print(r.line())
    bad = [r for r in results if r.problems]
    print(f"seed {args.seed}: {len(results) - len(bad)} of {len(results)} runs left nothing behind")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
