"""1.2 prep.backup: a cleaned, re-appliable backup of the cluster, outside the work tree."""
from __future__ import annotations

from ...journal import Kind
from ...checklist import Item, Plan, Step, Verdict
from ...cluster.backup import check_integrity, compare_counts, latest_backup, remove_incomplete, write_backup
from ...cluster.listing import cluster_listing, list_cluster


class Backup(Item):

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        root = session.backups_dir()
        info = latest_backup(root)
        if info is None:
            return Verdict("pending", f"no complete backup in {root} yet; run prep.backup")
        evidence = {"backup": str(info.path), "created_at": info.created_at, "objects": info.index["objects"],
                    "files": len(info.index["files"])}
        if info.index.get("cluster", {}).get("uid") != session.state.cluster.uid:
            return Verdict("failed", f"the newest backup {info.path} is of another cluster; run prep.backup again", evidence)
        problems = check_integrity(info)
        listing = cluster_listing(session)
        diffs = compare_counts(info, listing)
        evidence["count_differences"] = diffs[:50]
        objects_dir = info.path / "objects"
        dry = None
        if objects_dir.is_dir():
            # Server-side dry-run: the API server validates every object as a real restore would.
            dry = session.kubectl.run("apply", "--server-side", "--dry-run=server", "--force-conflicts",
                                      "--field-manager=homelab-wizard-restore", "-R", "-f", str(objects_dir),
                                      "-o", "name", timeout=300, ok_codes=(0, 1), log_output=False)
            evidence["dry_run"] = {"command": dry.command, "exit_code": dry.exit_code,
                                   "objects": len(dry.stdout.splitlines()), "errors": dry.stderr.strip()[-2000:]}
            if dry.exit_code != 0:
                problems.append(f"the server-side dry-run apply of the backup failed: {dry.stderr.strip()[-500:]}")
        if problems:
            return Verdict("failed", "; ".join(problems[:5]), evidence)
        # The backup is the cluster as it was before the migration: that the cluster changed since
        # (Flux took objects over, flux-system arrived) is said, never held against the backup.
        since = (f"; the cluster changed since it was taken ({len(diffs)} object counts differ, first: {diffs[0]}), "
                 "as the later phases expect; run prep.backup again for a newer snapshot") if diffs else \
            "; object counts match the live cluster"
        return Verdict("passed", f"backup {info.path.name}: {info.index['objects']} objects in {len(info.index['files'])} "
                                 f"files, checksums match, server-side dry-run passed{since}", evidence)

    def plan(self, session) -> Plan:
        root = session.backups_dir()
        steps = [Step("command", "List every resource type that supports list", "kubectl api-resources --verbs=list -o name"),
                 Step("command", "Export each type as JSON, all namespaces", "kubectl get <type> --all-namespaces -o json"),
                 Step("info", "Skip what Kubernetes recreates (events, nodes, leases, owned pods, SA tokens, "
                              "kube-system …) and strip server-set fields (uid, status, managedFields, last-applied …)"),
                 Step("write", f"Write one file per namespace and kind, plus index.json, under {root}/<time>/",
                      "folders 0700 and files 0600, created with those modes; never inside the repository"),
                 Step("command", "Check it: counts, checksums and a server-side dry-run apply")]
        return Plan(self.id, f"Back up the cluster {session.state.cluster.describe() if session.state.cluster else ''}",
                    steps, changes="local", data={"root": str(root)})

    def apply(self, session, plan: Plan, progress) -> None:
        ident = session.ensure_same_cluster()
        from pathlib import Path

        root = Path(plan.data["root"])
        for name in remove_incomplete(root):
            progress(f"removed the incomplete backup {name} left by an interrupted run")
        listing = list_cluster(session.kubectl, progress=progress)
        info = write_backup(root, listing, vars(ident), progress=progress)
        session.state.record(Kind.BACKUP, path=str(info.path), objects=info.index["objects"])
        session.store.save()
        progress(f"backup written: {info.path} ({info.index['objects']} objects)")
