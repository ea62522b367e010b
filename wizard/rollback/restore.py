"""Restore from the Phase 1 backup: whole, or chosen namespaces and kinds.

Velero's rule (research/reliability.md): non-destructive by default, so an object that already
exists is skipped unless the user asks to overwrite it. The preview shows a server-side diff
(`kubectl diff --server-side`: exit 0 no difference, 1 differences, >1 an error) of what would
change, never the values of Secrets. Objects go back in apply_rank order (CRDs, Namespaces, …,
workloads last) with server-side apply; the output of batches holding Secrets stays out of the
audit log. The verification reads every restored object back and compares it with the backup.
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from ..journal import Kind
from ..checklist import Plan, Step, Verdict
from ..cluster.backup import BackupInfo, check_integrity, latest_backup
from ..cluster.clean import apply_rank
from ..runner import ToolFailed
from ..session import Blocked, UsageError
from .base import Action, Options

FIELD_MANAGER = "homelab-wizard-rollback"
DIFF_LIMIT = 200  # lines of diff shown in the preview


def resource_arg(kind: str, group: str) -> str:
    return f"{kind}.{group}" if group and group != "core" else kind


def obj_key(o: dict) -> tuple[str, str, str, str]:
    md = o.get("metadata", {})
    api = o.get("apiVersion", "")
    group = api.split("/", 1)[0] if "/" in api else ""
    return group, o.get("kind", ""), md.get("namespace") or "", md.get("name", "")


def label(o: dict) -> str:
    group, kind, ns, name = obj_key(o)
    return f"{resource_arg(kind, group)} {ns + '/' if ns else ''}{name}"


def find_backup(session) -> BackupInfo | None:
    """The backup the journal names last (Phase 1), else the newest complete one."""
    for e in reversed(session.state.journal):
        if e.get("action") == Kind.BACKUP and e.get("path"):
            p = Path(e["path"])
            if (p / "index.json").is_file():
                index = json.loads((p / "index.json").read_text())
                if index.get("complete"):
                    return BackupInfo(p, index)
    return latest_backup(session.backups_dir())


def kind_matches(kind: str, group: str, wanted: list[str]) -> bool:
    if not wanted:
        return True
    names = {kind.lower(), kind.lower() + "s", f"{kind}.{group}".lower(), f"{kind.lower()}s.{group}".lower()}
    return any(w.lower() in names for w in wanted)


def backup_contents(info: BackupInfo) -> tuple[list[str], list[str]]:
    """What a backup holds to choose from: (namespaces, kinds), sorted; no cluster needed.

    Namespaces are those of its namespaced objects plus its Namespace objects (choosing one
    restores the Namespace too); kinds are spelled as `select_objects` and `--kind` take them
    (Kind for the core group, Kind.group otherwise). Flux-owned objects are not restored, so
    they are not offered.
    """
    namespaces: set[str] = set()
    kinds: set[str] = set()
    for e in info.index.get("files", []):
        if not e["path"].startswith("objects/"):
            continue
        kinds.add(resource_arg(e["kind"], e.get("group") or ""))
        if e.get("namespace"):
            namespaces.add(e["namespace"])
        elif e["kind"] == "Namespace" and not e.get("group"):
            for doc in yaml.safe_load_all((info.path / e["path"]).read_text()):
                if doc and doc.get("metadata", {}).get("name"):
                    namespaces.add(doc["metadata"]["name"])
    return sorted(namespaces), sorted(kinds, key=str.lower)


def select_objects(info: BackupInfo, namespaces: list[str], kinds: list[str]) -> list[dict]:
    """The backed-up objects (not the Flux-owned ones) the user chose, in re-apply order."""
    out = []
    for e in info.index.get("files", []):
        if not e["path"].startswith("objects/"):
            continue
        for doc in yaml.safe_load_all((info.path / e["path"]).read_text()):
            if not doc:
                continue
            group, kind, ns, name = obj_key(doc)
            if namespaces:
                if ns and ns not in namespaces:
                    continue
                if not ns and not (kind == "Namespace" and name in namespaces):
                    continue
            if not kind_matches(kind, group, kinds):
                continue
            out.append(doc)
    out.sort(key=lambda o: (apply_rank(o["kind"]), obj_key(o)))
    return out


def live_names(kubectl, kind: str, group: str, ns: str) -> set[str]:
    """Names of the live objects of one kind in one namespace ('' = cluster-scoped)."""
    args = ["get", resource_arg(kind, group), "-o", "name", "--ignore-not-found", "--request-timeout=20s"]
    args += ["-n", ns] if ns else []
    res = kubectl.run(*args, ok_codes=(0, 1), timeout=40)
    if res.exit_code == 1:
        if "doesn't have a resource type" in res.stderr or "no matches for kind" in res.stderr:
            return set()  # its CRD is not installed (yet): nothing of it exists
        raise ToolFailed(f"'{res.command}' failed: {res.stderr.strip()}", res.argv, 1, res.stdout, res.stderr)
    return {line.split("/", 1)[1] for line in res.stdout.split() if "/" in line}


def existing(kubectl, objs: list[dict]) -> set[tuple]:
    groups: dict[tuple[str, str, str], set[str]] = {}
    found = set()
    for o in objs:
        group, kind, ns, name = obj_key(o)
        if (kind, group, ns) not in groups:
            groups[(kind, group, ns)] = live_names(kubectl, kind, group, ns)
        if name in groups[(kind, group, ns)]:
            found.add(obj_key(o))
    return found


def dump(objs: list[dict]) -> str:
    return yaml.safe_dump_all(objs, sort_keys=True, explicit_start=True)


def server_diff(kubectl, objs: list[dict]) -> tuple[int, str]:
    """`kubectl diff --server-side` of non-Secret objects: (exit code, diff or error text)."""
    if not objs:
        return 0, ""
    res = kubectl.run("diff", "--server-side", f"--field-manager={FIELD_MANAGER}", "--force-conflicts", "-f", "-",
                      stdin=dump(objs), ok_codes=tuple(range(0, 256)), timeout=120)
    if res.exit_code > 1:
        return res.exit_code, (res.stderr.strip() or res.shown_stdout.strip())
    return res.exit_code, res.shown_stdout  # a diff shown in the preview, not parsed


class Restore(Action):
    name = "restore"
    title = "Restore objects from the Phase 1 backup"
    destructive = True  # with overwrite it replaces live objects; typed confirmation either way
    changes = "cluster"

    def available(self, session):
        info = find_backup(session)
        if info is None:
            return self._avail(False, "there is no complete Phase 1 backup yet (prep.backup has not run)",
                               "nothing to restore from")
        return self._avail(
            True, f"backup of {info.created_at} at {info.path} ({info.index.get('objects', '?')} objects)",
            "re-creates objects from the backup (all, or chosen namespaces and kinds) with server-side apply; "
            "objects that exist now are left alone unless you choose to overwrite them, in which case their "
            "fields go back to the backed-up values. Nothing is deleted.")

    def plan(self, session, opts: Options) -> Plan:
        info = _checked_backup(session)
        objs = select_objects(info, opts.namespaces, opts.kinds)
        if not objs:
            raise UsageError(f"the backup at {info.path} holds no objects for namespaces {opts.namespaces or 'all'} "
                             f"and kinds {opts.kinds or 'all'}; check the names (its index.json lists the files).")
        kubectl = session.kubectl
        present = existing(kubectl, objs)
        to_apply = [o for o in objs if opts.overwrite or obj_key(o) not in present]
        skipped = [o for o in objs if not opts.overwrite and obj_key(o) in present]
        live_ns = live_names(kubectl, "Namespace", "", "")
        diffable = [o for o in to_apply if o["kind"] != "Secret" and (not obj_key(o)[2] or obj_key(o)[2] in live_ns)]
        code, diff = server_diff(kubectl, diffable)
        steps = [Step("info", f"backup {info.path} ({info.created_at}); integrity checked")]
        steps += _preview_steps(skipped, code, diff, to_apply)
        steps += _apply_steps(to_apply, opts.overwrite)
        summary = (f"restore {len(to_apply)} object(s) from the backup of {info.created_at}"
                   + (f", skip {len(skipped)} that exist" if skipped else "")
                   + (" (overwriting existing ones)" if opts.overwrite else ""))
        return Plan("rollback.restore", summary, steps, changes="cluster" if to_apply else "nothing",
                    data={"backup": str(info.path), "objects": to_apply, "skipped": [obj_key(o) for o in skipped],
                          "overwrite": opts.overwrite, "namespaces": opts.namespaces, "kinds": opts.kinds})

    def run(self, session, plan, progress):
        kubectl = session.kubectl
        objs = plan.data["objects"]
        for batch in batches(objs):
            args = ["apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "-f", "-"]
            if plan.data["overwrite"]:
                args.insert(2, "--force-conflicts")
            has_secret = any(o["kind"] == "Secret" for o in batch)
            try:
                kubectl.run(*args, stdin=dump(batch), on_line=progress, log_output=not has_secret, timeout=300)
            except ToolFailed as e:
                raise ToolFailed(f"restoring {', '.join(label(o) for o in batch[:5])}{' …' if len(batch) > 5 else ''} "
                                 f"failed: {e}. The objects before this batch were restored; fix the cause and run "
                                 "the restore again (existing objects are skipped).", e.argv, e.exit_code, "", "") from e
            crds = [o["metadata"]["name"] for o in batch if o["kind"] == "CustomResourceDefinition"]
            if crds:
                kubectl.run("wait", "--for", "condition=established", "--timeout=60s",
                            *[f"crd/{n}" for n in crds], on_line=progress, timeout=90)
        return {"backup": plan.data["backup"], "restored": [label(o) for o in objs],
                "skipped": len(plan.data["skipped"]), "namespaces": plan.data["namespaces"], "kinds": plan.data["kinds"]}

    def verify(self, session, plan, details):
        kubectl = session.kubectl
        objs = plan.data["objects"]
        live = fetch_live(kubectl, objs)
        problems = []
        for o in objs:
            have = live.get(obj_key(o))
            if have is None:
                problems.append(f"{label(o)} is missing")
                continue
            diffs = mismatches(o, have)
            if diffs:
                problems.append(f"{label(o)} differs at {', '.join(diffs[:5])}")
        missing_skipped = [k for k in plan.data["skipped"] if k not in existing_keys(kubectl, plan.data["skipped"])]
        problems += [f"{resource_arg(k[1], k[0])} {k[2]}/{k[3]} (skipped as existing) is gone now" for k in missing_skipped]
        ev = {"backup": plan.data["backup"], "restored": len(objs), "skipped": len(plan.data["skipped"]),
              "problems": problems[:50]}
        if problems:
            return Verdict("failed", f"{len(problems)} object(s) do not match the backup: {'; '.join(problems[:5])}", ev)
        return Verdict("passed", f"{len(objs)} object(s) restored and equal to the backup"
                       + (f"; {len(plan.data['skipped'])} existing one(s) left as they were" if plan.data["skipped"] else ""), ev)


def _checked_backup(session) -> BackupInfo:
    """The backup to restore from; Blocked when there is none or it fails its integrity check."""
    info = find_backup(session)
    if info is None:
        raise Blocked("there is no complete Phase 1 backup to restore from; run 1.2 prep.backup "
                      "(while the cluster is still as you want it back).")
    problems = check_integrity(info)
    if problems:
        raise Blocked(f"the backup at {info.path} failed its integrity check: {'; '.join(problems[:5])}. "
                      "It was left untouched; pick another backup or take a new one.")
    return info


def _labels(objs: list[dict], limit: int) -> str:
    # Long lists are cut so the preview stays readable; the ellipsis says there is more.
    return "\n".join(label(o) for o in objs[:limit]) + ("\n…" if len(objs) > limit else "")


def _preview_steps(skipped: list[dict], code: int, diff: str, to_apply: list[dict]) -> list[Step]:
    """The info steps of the preview: skipped objects, the server-side diff, the Secrets restored."""
    steps = []
    if skipped:
        steps.append(Step("info", f"{len(skipped)} object(s) exist and are skipped (choose overwrite to replace them)",
                          _labels(skipped, 50)))
    if code > 1:
        steps.append(Step("info", "the server-side diff could not be computed", diff[-2000:]))
    elif diff:
        lines = diff.splitlines()
        steps.append(Step("info", f"server-side diff ({len(lines)} lines)",
                          "\n".join(lines[:DIFF_LIMIT]) + ("\n…" if len(lines) > DIFF_LIMIT else "")))
    secrets = [o for o in to_apply if o["kind"] == "Secret"]
    if secrets:
        steps.append(Step("info", f"{len(secrets)} Secret(s) restored; their values are never shown",
                          "\n".join(label(o) for o in secrets)))
    return steps


def _apply_steps(to_apply: list[dict], overwrite: bool) -> list[Step]:
    """One command step per apply batch, or a note that there is nothing to apply."""
    steps = []
    for rank_objs in batches(to_apply):
        steps.append(Step("command", f"kubectl apply --server-side{' --force-conflicts' if overwrite else ''} "
                          f"({len(rank_objs)} object(s): {', '.join(sorted({o['kind'] for o in rank_objs}))})",
                          _labels(rank_objs, 30)))
    if not to_apply:
        steps.append(Step("info", "nothing to apply: every chosen object exists"))
    return steps


def batches(objs: list[dict]) -> list[list[dict]]:
    out: list[list[dict]] = []
    last = None
    for o in objs:
        r = apply_rank(o["kind"])
        if r != last:
            out.append([])
            last = r
        out[-1].append(o)
    return out


def existing_keys(kubectl, keys: list) -> set[tuple]:
    objs = [{"apiVersion": f"{g}/v" if g else "v1", "kind": k, "metadata": {"namespace": ns, "name": n}}
            for g, k, ns, n in keys]
    return existing(kubectl, objs)


def fetch_live(kubectl, objs: list[dict]) -> dict[tuple, dict]:
    """The live objects (by key) of the kinds and namespaces of `objs`; output never logged (Secrets)."""
    out = {}
    for kind, group, ns in sorted({(obj_key(o)[1], obj_key(o)[0], obj_key(o)[2]) for o in objs}):
        args = ["get", resource_arg(kind, group), "-o", "json", "--request-timeout=30s"]
        args += ["-n", ns] if ns else []
        res = kubectl.run(*args, ok_codes=(0, 1), log_output=False, timeout=60)
        if res.exit_code != 0:
            continue
        for item in res.json().get("items", []):
            item.setdefault("apiVersion", f"{group}/v1" if group else "v1")
            item.setdefault("kind", kind)
            out[obj_key(item)] = item
    return out


def mismatches(want, have, path: str = "") -> list[str]:
    """Paths where `have` lacks or differs from `want` (server-added fields are fine). No values."""
    if path == "" and isinstance(want, dict):
        md_w, md_h = want.get("metadata", {}), have.get("metadata", {})
        out = []
        for part in ("labels", "annotations"):
            out += mismatches(md_w.get(part) or {}, md_h.get(part) or {}, f"metadata.{part}")
        for k, v in want.items():
            if k not in ("metadata", "apiVersion", "status"):
                out += mismatches(v, have.get(k), k)
        return out
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return [path]
        out = []
        for k, v in want.items():
            out += mismatches(v, have.get(k), f"{path}.{k}")
        return out
    if isinstance(want, list):
        if not isinstance(have, list) or len(have) != len(want):
            return [path]
        out = []
        for i, (w, h) in enumerate(zip(want, have)):
            out += mismatches(w, h, f"{path}[{i}]")
        return out
    if want != have and not (want is not None and have is not None and str(want) == str(have)):
        return [path]
    return []
