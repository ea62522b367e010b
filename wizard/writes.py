"""Which tool commands may change the cluster: the runner counts them, so answers read from the cluster are
reused only while the wizard itself has changed nothing (wizard/cluster/memo.py)."""
from __future__ import annotations

import os
from collections.abc import Sequence

# kubectl verbs that only read (or never reach the cluster), and flux commands that only read.
_KUBECTL_READS = {"get", "api-resources", "api-versions", "config", "version", "kustomize", "explain", "auth",
                  "cluster-info", "diff", "wait", "events", "top"}
_FLAGS_WITH_VALUE = {"--context", "--kubeconfig", "-n", "--namespace", "--cluster", "--user", "-s", "--server"}
_FLUX_READS = {"get", "check", "version", "tree", "stats", "events", "logs", "export", "build", "diff"}


def may_change_cluster(argv: Sequence[str]) -> bool:
    """Whether a kubectl or flux command may write to the cluster (a server-side dry-run does not)."""
    tool = os.path.basename(argv[0]) if argv else ""
    if tool not in ("kubectl", "flux"):
        return False
    if any(a.startswith("--dry-run") and not a.endswith("=none") for a in argv):
        return False
    verb, args = "", list(argv[1:])
    while args:
        a = args.pop(0)
        if a in _FLAGS_WITH_VALUE:
            args = args[1:]
        elif not a.startswith("-"):
            verb = a
            break
    return verb not in (_KUBECTL_READS if tool == "kubectl" else _FLUX_READS)
