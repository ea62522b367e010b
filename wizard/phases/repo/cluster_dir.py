"""2.1 repo.cluster-dir: clusters/<name>/, Flux's entry point for this cluster."""
from __future__ import annotations

from ...checklist import Item, Plan, Verdict
from ...repo.generate import cluster_readme
from ...repo.ops import (op_mkdir, op_write)
from .steps import apply_plan, begin, plan_ops


# -- 2.1 --------------------------------------------------------------------------------------------
class ClusterDir(Item):

    def verify(self, session) -> Verdict:
        cluster = session.answers.get("cluster", "homelab")
        d = session.repo / "clusters" / cluster
        if d.is_dir() and any(d.iterdir()):
            return Verdict("passed", f"clusters/{cluster}/ exists", {"path": f"clusters/{cluster}"})
        return Verdict("pending", f"clusters/{cluster}/ does not exist yet (run repo.cluster-dir)")

    def plan(self, session) -> Plan:
        ctx, resumed = begin(self, session)
        if resumed:
            return resumed
        d = f"clusters/{ctx.cluster}"
        ops = [op_mkdir(d)]
        if not ((session.repo / d).is_dir() and any((session.repo / d).iterdir())):
            ops.append(op_write(f"{d}/README.md", cluster_readme(ctx.cluster)))
        return plan_ops(self, session, ctx, ops, f"create {d}/, Flux's entry point for this cluster")

    def apply(self, session, plan, progress) -> None:
        apply_plan(self, session, plan, progress)
