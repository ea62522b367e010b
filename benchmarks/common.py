"""Shared helpers for the benchmarks: a throwaway demo repo and medians of repeated runs."""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PY = sys.executable


@contextmanager
def demo_repo():
    """A fresh copy of the demo homelab repo (a git repo with one commit) in a temp dir.

    No cluster is touched: KUBECONFIG points at a file that does not exist.
    """
    from wizard.demo import write_demo

    with tempfile.TemporaryDirectory(prefix="hw-bench-") as tmp:
        env = {"KUBECONFIG": str(Path(tmp) / "no-such-kubeconfig"), "HOMELAB_WIZARD_DATA": str(Path(tmp) / "data")}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            yield write_demo(Path(tmp) / "homelab")
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def report(name: str, ours: list[float], base: list[float], base_name: str, target: float) -> bool:
    """Print the medians and their ratio against the target; True when within it."""
    ratio = statistics.median(ours) / statistics.median(base)
    ok = ratio <= target
    print(f"{name}: {median_ms(ours):.0f} ms (median of {len(ours)}) vs {base_name}: {median_ms(base):.0f} ms "
          f"→ {ratio:.2f}× (target ≤ {target:g}×) {'OK' if ok else 'OVER TARGET'}")
    return ok
