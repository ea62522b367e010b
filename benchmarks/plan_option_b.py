"""Planning Option B for a generated repo of 5,000 manifest files vs `kubectl kustomize` on the same tree.

Targets (issue #4): planning takes ≤ 0.5× the time kubectl kustomize needs to build the same
tree, in the same run, and ≤ 300 MB peak memory. Planning = scan every file, classify, compute
the Option B layout, and produce the steps of 2.2, 2.3 and 2.4 with their previews (file
contents of every generated kustomization.yaml and Flux manifest). Each side runs in its own
process so that its peak RSS is its own.

    .venv/bin/python benchmarks/plan_option_b.py [--files 5000] [--runs 1] [--check]

`kubectl kustomize` needs minutes for 10,000 objects (its cost grows faster than linearly), so one
run is the default.
"""
from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PY = sys.executable
KUBECTL = str(Path(sys.executable).parent / "kubectl")
TIME_TARGET, MEM_TARGET_MB = 0.5, 300

DEPLOY = """\
# {name}: generated for the benchmark
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: {name}}}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: main
          image: nginx:1.27
          ports:
            - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  selector: {{app: {name}}}
  ports:
    - port: 80
"""
FOLDER_WORDS = ["app", "monitoring", "databases", "ingress", "web", "api", "worker", "storage", "tools", "media"]


def generate(root: Path, n_files: int, per_folder: int = 25) -> None:
    """`n_files` manifest files in folders of `per_folder`, shaped like infrastructure/kubernetes/<x>/."""
    for i in range(n_files):
        folder = i // per_folder
        word = FOLDER_WORDS[folder % len(FOLDER_WORDS)]
        d = root / "infrastructure" / "kubernetes" / f"{word}-{folder}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"svc-{i}.yaml").write_text(DEPLOY.format(name=f"svc-{i}", ns=f"ns-{folder}"))


def kustomize_tree(src: Path, dst: Path) -> Path:
    """A copy of the tree with the kustomization.yaml files kubectl kustomize needs (not timed)."""
    import shutil

    shutil.copytree(src, dst)
    base = dst / "infrastructure" / "kubernetes"
    folders = sorted(p for p in base.iterdir() if p.is_dir())
    for d in folders:
        files = sorted(f.name for f in d.glob("*.yaml"))
        (d / "kustomization.yaml").write_text("resources:\n" + "".join(f"  - {f}\n" for f in files))
    (base / "kustomization.yaml").write_text("resources:\n" + "".join(f"  - {d.name}\n" for d in folders))
    return base


PLAN_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
t0 = time.perf_counter()
from wizard.repo.scan import scan
from wizard.repo.layout import build_layout
from wizard.phases.repo_setup import Ctx, kustomization_ops, move_ops, flux_ops
from wizard.repo.ops import preview_steps, is_done
class S:  # the planners read only the repo path and the answers
    repo = Path(sys.argv[1]); answers = {"option": "b", "cluster": "homelab"}
s = S()
res = scan(s.repo)
layout = build_layout(res, "b", "homelab", s.answers)
ctx = Ctx("b", "homelab", res, layout)
ops = kustomization_ops(s, ctx) + move_ops(s, ctx) + flux_ops(s, ctx)
ops = [o for o in ops if not is_done(s.repo, o)]
steps = preview_steps(s.repo, ops)
dt = time.perf_counter() - t0
print(json.dumps({"seconds": dt, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "manifests": len(res.manifests), "units": len(layout.units), "ops": len(ops), "steps": len(steps)}))
"""


def plan_once(repo: Path) -> dict:
    out = subprocess.run([PY, "-c", PLAN_CHILD, str(repo), str(Path(__file__).resolve().parents[1])],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def kustomize_once(path: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    proc = subprocess.run([KUBECTL, "kustomize", str(path)], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"kubectl kustomize failed: {proc.stderr[-500:]}")
    return dt, proc.stdout.count("\nkind: ")


def main(argv: list[str] | None = None) -> bool:
    argv = list(sys.argv[1:] if argv is None else argv)
    n = int(argv[argv.index("--files") + 1]) if "--files" in argv else 5000
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 1
    with tempfile.TemporaryDirectory(prefix="hw-bench-plan-") as tmp:
        repo = Path(tmp) / "repo"
        generate(repo, n)
        kpath = kustomize_tree(repo, Path(tmp) / "kustomized")
        plans, kust = [], []
        for _ in range(runs):  # interleaved, so both see the same machine load
            plans.append(plan_once(repo))
            kust.append(kustomize_once(kpath))
    p_time = statistics.median(p["seconds"] for p in plans)
    k_time = statistics.median(k[0] for k in kust)
    peak = max(p["maxrss_mb"] for p in plans)
    k_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ratio = p_time / k_time
    ok_t, ok_m = ratio <= TIME_TARGET, peak <= MEM_TARGET_MB
    p0 = plans[0]
    print(f"repo: {n} manifest files, {p0['manifests']} objects, {p0['units']} folders; plan: {p0['ops']} operations")
    print(f"plan Option B: {p_time * 1000:.0f} ms (median of {runs}) vs kubectl kustomize: {k_time * 1000:.0f} ms "
          f"({kust[0][1]} objects) → {ratio:.2f}× (target ≤ {TIME_TARGET}×) {'OK' if ok_t else 'OVER TARGET'}")
    print(f"plan peak memory: {peak:.0f} MB (target ≤ {MEM_TARGET_MB} MB) {'OK' if ok_m else 'OVER TARGET'}; "
          f"largest child (kubectl or planner) peak: {k_peak:.0f} MB")
    ok = ok_t and ok_m
    if "--check" in argv and not ok:
        raise SystemExit(1)
    return ok


if __name__ == "__main__":
    main()
