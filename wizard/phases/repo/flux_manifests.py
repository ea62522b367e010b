"""2.4 repo.flux-manifests: Flux Kustomizations for infrastructure and apps, valid and in order."""
from __future__ import annotations

from ...checklist import Item, Plan, Step, Verdict
from ...session import Blocked, WizardError
from ...repo import canary
from ...repo.validate import key_of, keystr, namespace_field_problems, server_dry_run, target_namespace_problems
from ..secrets.flux_paths import describe_missing, missing_decryption, sops_files
from .baseline import ensure_baseline
from .common import Ctx, SCAFFOLD, context, kustomization_files, layout_notes, open_questions, stop_if_open, with_namespace_problems
from .flux_checks import (dry_run_findings, flux_kustomizations, namespace_notes, ordering_problems,
                          outdated_api_problems, passed_message, read_flux_documents, render_flux_paths,
                          rendered_set_problems, schema_findings, tier_rank)
from .flux_ops import PRUNE, STATEFUL, flux_ops, unit_in
from .steps import apply_plan, begin, plan_ops


class FluxManifests(Item):
    questions = (PRUNE, STATEFUL)

    def plan(self, session) -> Plan:
        ctx, resumed = begin(self, session)
        return resumed or self.plan_in(session, ctx)

    def plan_in(self, session, ctx: Ctx) -> Plan:
        """The plan for the repository as `ctx` sees it (also used on a scratch worktree by proof.py)."""
        stop_if_open(ctx)
        if not (session.repo / "clusters" / ctx.cluster).is_dir():
            raise Blocked(f"clusters/{ctx.cluster}/ does not exist yet; run 2.1 repo.cluster-dir first.",
                          needs=("repo.cluster-dir",))
        todo = [x.path for x in ctx.layout.units if x.target != x.path or x.kustomization is None]
        if todo:
            raise Blocked("some manifest folders are not in place or have no kustomization.yaml yet: "
                          f"{', '.join(todo[:8])}; run 2.2 repo.kustomizations and 2.3 repo.apps first.",
                          needs=("repo.kustomizations", "repo.apps"))
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
        ctx = context(session)
        q = open_questions(ctx)
        if q:
            return with_namespace_problems(session, ctx, q)
        docs, yaml_problems = read_flux_documents(session, ctx.cluster)
        ks = flux_kustomizations(docs)
        if not ks:
            return Verdict("pending", f"no Flux Kustomizations in clusters/{ctx.cluster}/ yet (run repo.flux-manifests)")
        problems, warnings = schema_findings(docs)
        problems = yaml_problems + problems
        # targetNamespace (or a kustomization's namespace:) must not rename Namespace objects (pitfall B.3).
        problems += target_namespace_problems(session, ctx.scan, ctx.cluster)
        problems += namespace_field_problems(session, ctx.scan, kustomization_files(ctx))
        problems += ordering_problems(ks)
        after, rendered, found = render_flux_paths(session, ctx, ks)
        problems += found
        found, replaced = rendered_set_problems(session, ctx, after)
        problems += found + outdated_api_problems(ctx) + self._decryption_problems(session, ctx, ks)
        warnings += namespace_notes(ctx)
        # "objects" counts the owner's objects, as 2.3's evidence does; the wizard's own drift canary is named apart.
        ours = after.get(canary.key(), 0)
        ev = {"kustomizations": sorted(ks), "objects": sum(after.values()) - ours, "warnings": warnings,
              "replaced": replaced, "wizard_objects": [canary.key()] if ours else []}
        questions = []
        # The cluster is asked only about manifests that pass every offline check.
        dry = None if problems else self._server_dry_run(session, ctx, ks, rendered)
        if dry is not None:
            ev["server_dry_run"] = dry
            found, questions = dry_run_findings(dry)
            problems += found
        ev["questions"] = questions
        if problems:
            return Verdict("failed", "; ".join(problems[:6]), ev)
        return Verdict("passed", passed_message(ks, ev["objects"], "server_dry_run" in ev, questions, bool(ours)), ev)

    def _decryption_problems(self, session, ctx: Ctx, ks: dict) -> list[str]:
        missing = missing_decryption(session.repo, list(ks.values()), sops_files(ctx.scan))
        return describe_missing(missing, "run repo.flux-manifests again (it adds it)")

    def _server_dry_run(self, session, ctx: Ctx, ks: dict, rendered: dict) -> list[dict] | None:
        """With a pinned, reachable, same cluster: dry-run every path in dependency order."""
        if session.state.cluster is None or session.scratch_moves is not None:
            return None  # no cluster pinned, or a scratch proof (the cluster check comes with the real run)
        try:
            session.ensure_same_cluster()
        except WizardError:
            return None
        order = sorted(rendered, key=tier_rank)
        provided: set[str] = set()
        # Flux applies a path's Namespaces first, and dependsOn puts infrastructure's before the apps.
        created = {d["metadata"]["name"] for docs in rendered.values() for d in docs if d["kind"] == "Namespace"}
        out = []
        for name in order:
            path = str(ks[name][1]["spec"]["path"]).removeprefix("./")
            # The wizard's drift canary lives in flux-system, which only bootstrap creates: not a question of yours.
            docs = [d for d in rendered[name] if not canary.is_canary(d)]
            out.append(server_dry_run(session, path, docs, provided, created))
            for u in ctx.layout.units:
                provided |= u.provides if unit_in(u, path, ctx) else set()
        return out
