"""2.4 repo.flux-manifests: Flux Kustomizations for infrastructure and apps, valid and in order."""
from __future__ import annotations

from collections import Counter
from ...checklist import Item, Plan, Step, Verdict
from ...session import Blocked, WizardError
from ...repo import gitstate
from ...repo.validate import (BuildFailed, compare, current_api_version, key_of, keystr, multiset, namespace_field_problems,
                             namespaceless, server_dry_run, target_namespace_problems, validate_schema)
from .baseline import compare_msg, ensure_baseline, expected_objects, scaffold_entries
from .common import Ctx, SCAFFOLD, context, kustomization_files, layout_notes, open_questions, stop_if_open, with_namespace_problems
from .flux_ops import PRUNE, STATEFUL, flux_ops, scaffold_problems, unit_in
from .steps import apply_plan, plan_ops, resume_plan




class FluxManifests(Item):
    questions = (PRUNE, STATEFUL)

    def plan(self, session) -> Plan:
        ctx = context(session)
        u = gitstate.ensure_clean(session, self.id)
        if u:
            return resume_plan(self, session, u)
        return self.plan_in(session, ctx)

    def plan_in(self, session, ctx: Ctx) -> Plan:
        """The plan for the repository as `ctx` sees it (also used on a scratch worktree by proof.py)."""
        stop_if_open(ctx)
        if not (session.repo / "clusters" / ctx.cluster).is_dir():
            raise Blocked(f"clusters/{ctx.cluster}/ does not exist yet; run 2.1 repo.cluster-dir first.")
        todo = [x.path for x in ctx.layout.units if x.target != x.path or x.kustomization is None]
        if todo:
            raise Blocked("some manifest folders are not in place or have no kustomization.yaml yet: "
                          f"{', '.join(todo[:8])}; run 2.2 repo.kustomizations and 2.3 repo.apps first.")
        ops = flux_ops(session, ctx)
        info = [Step("info", f"Flux Kustomization {n} → ./{p}") for n, p in ctx.layout.flux_paths().items()]
        info += [Step("info", f"warning: {w}") for w in ctx.layout.warnings] + layout_notes(ctx)
        entries = []
        for sc in ctx.scaffolds:
            if (session.repo / sc.release_path).is_file() and not sc.remove:
                continue  # applied already
            rel = f"{sc.release['metadata']['namespace']}/{sc.release['metadata']['name']}"
            info.append(Step("info", f"Helm scaffold for {sc.unit.target}: HelmRelease {rel} (chart "
                                     f"{sc.request.chart} {sc.request.version} from {sc.request.url}) replaces "
                                     f"{len(sc.replaced)} hand-written object(s) in {len(sc.remove)} file(s), "
                                     "which are removed with git rm", "\n".join(sc.replaced)))
            entries.append({"folder": sc.unit.target, "release": rel, "release_file": sc.release_path,
                            "release_key": keystr(key_of(sc.release)),
                            "source_key": keystr(key_of(sc.source)) if sc.source else None,
                            "source_file": next((o["path"] for o in ops if o["op"] == "write" and sc.source
                                                 and o["path"].endswith(f"/{sc.source_name}.yaml")), None),
                            "replaced": sc.replaced})
        plan = plan_ops(self, session, ctx, ops,
                     f"write the Flux Kustomizations in clusters/{ctx.cluster}/ and the kustomization.yaml at each "
                     "Flux path" + (f", and {len(entries)} HelmRelease scaffold(s)" if entries else ""), info)
        if plan.data.get("ops") and entries:
            plan.data["scaffolds"] = entries
        return plan

    def apply(self, session, plan, progress) -> None:
        if plan.data.get("scaffolds") and not plan.data.get("resume"):
            ensure_baseline(session)
            for e in plan.data["scaffolds"]:
                session.state.record(SCAFFOLD, **e)
            session.store.save()
        apply_plan(self, session, plan, progress)

    def verify(self, session) -> Verdict:
        import yaml

        ctx = context(session)
        q = open_questions(ctx)
        if q:
            return with_namespace_problems(session, ctx, q)
        lay = ctx.layout
        d = session.repo / "clusters" / ctx.cluster
        problems, warnings, questions = [], [], []
        docs = []
        for name in ("infrastructure.yaml", "apps.yaml"):
            f = d / name
            if f.is_file():
                try:
                    docs += [(f"clusters/{ctx.cluster}/{name}", x) for x in yaml.safe_load_all(f.read_text()) if x]
                except yaml.YAMLError as e:
                    problems.append(f"clusters/{ctx.cluster}/{name} is not valid YAML ({e})")
        ks = {x["metadata"]["name"]: (where, x) for where, x in docs
              if isinstance(x, dict) and x.get("kind") == "Kustomization" and isinstance(x.get("metadata"), dict)}
        if not ks:
            return Verdict("pending", f"no Flux Kustomizations in clusters/{ctx.cluster}/ yet (run repo.flux-manifests)")
        for where, x in docs:
            errs = validate_schema(x)
            if errs is None:
                warnings.append(f"{where}: no schema shipped for {x.get('apiVersion')} {x.get('kind')}; not checked")
            problems += [f"{where}: {e}" for e in errs or []]
        # targetNamespace (or a kustomization's namespace:) must not rename Namespace objects (pitfall B.3).
        problems += target_namespace_problems(session, ctx.scan, ctx.cluster)
        problems += namespace_field_problems(session, ctx.scan, kustomization_files(ctx))
        # Order: infrastructure before apps, CRD owners before their custom resources.
        order = {"infra-controllers": 0, "infra-configs": 1, "apps": 2}
        for name, (where, x) in ks.items():
            deps = [dd.get("name") for dd in (x.get("spec") or {}).get("dependsOn") or []]
            for dep in deps:
                if dep not in ks:
                    problems.append(f"{where}: {name} depends on {dep}, which is not defined")
            if name in order:
                earlier = [n for n in ks if order.get(n, 9) < order[name]]
                if earlier and not set(deps) & set(earlier):
                    problems.append(f"{where}: {name} must depend on {' or '.join(earlier)}")
        # Every path builds; together they render the same objects as before.
        after: Counter = Counter()
        rendered: dict[str, list[dict]] = {}
        for name, (where, x) in ks.items():
            path = str((x.get("spec") or {}).get("path", "")).removeprefix("./").strip("/")
            if "\\" in path or not (session.repo / path).is_dir():
                problems.append(f"{where}: {name} points to ./{path}, which does not exist")
                continue
            if not any((session.repo / path / k).is_file() for k in ("kustomization.yaml", "kustomization.yml",
                                                                       "Kustomization")):
                problems.append(f"{where}: ./{path} has no kustomization.yaml (Flux would apply every file below it)")
            try:
                rendered[name] = ctx.render(session, path)
            except BuildFailed as e:
                problems.append(str(e))
                continue
            after.update(multiset(key_of(o) for o in rendered[name]))
        before, replaced = expected_objects(session, ctx)
        lost, added, dup = compare(before, after)
        for e in scaffold_entries(session):
            problems += scaffold_problems(session, e)
        if lost or added or dup:
            problems.append("the Flux paths do not render the same objects as before: " + compare_msg(lost, added, dup))
        outdated = [f"{m.where} {m.kind} {m.api_version}" for u in lay.units for m in u.manifests
                    if current_api_version(m.api_version, m.kind)]
        if outdated:
            problems.append("outdated Flux API versions: " + ", ".join(outdated[:5]))
        warnings += [f"namespaced object without a namespace: {x}" for u in lay.units
                     for x in namespaceless(u.manifests)]
        ev = {"kustomizations": sorted(ks), "objects": sum(after.values()), "warnings": warnings,
              "replaced": replaced}
        if not problems:
            dry = self._server_dry_run(session, ctx, ks, rendered)
            if dry is not None:
                ev["server_dry_run"] = dry
                for r in dry:
                    problems += [f"server dry-run of {r['path']}: {e}" for e in r["errors"]]
                    questions += r["questions"]
        ev["questions"] = questions
        if problems:
            return Verdict("failed", "; ".join(problems[:6]), ev)
        msg = (f"{len(ks)} Flux Kustomizations ({', '.join(sorted(ks, key=lambda n: order.get(n, 9)))}) valid against "
               f"the Flux CRD schemas; every path builds and together they render the same {sum(after.values())} objects")
        if "server_dry_run" in ev:
            msg += "; the cluster accepts them (server-side dry-run)"
        if questions:
            msg += f"; {len(questions)} ordering question(s): " + "; ".join(questions[:3])
        return Verdict("passed", msg, ev)

    def _server_dry_run(self, session, ctx: Ctx, ks: dict, rendered: dict) -> list[dict] | None:
        """With a pinned, reachable, same cluster: dry-run every path in dependency order."""
        if session.state.cluster is None or session.scratch_moves is not None:
            return None  # no cluster pinned, or a scratch proof (the cluster check comes with the real run)
        try:
            session.ensure_same_cluster()
        except WizardError:
            return None
        order = sorted(rendered, key=lambda n: {"infra-controllers": 0, "infra-configs": 1, "apps": 2}.get(n, 9))
        provided: set[str] = set()
        out = []
        for name in order:
            path = str(ks[name][1]["spec"]["path"]).removeprefix("./")
            out.append(server_dry_run(session, path, rendered[name], provided))
            for u in ctx.layout.units:
                provided |= u.provides if unit_in(u, path, ctx) else set()
        return out
