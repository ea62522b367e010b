"""2.2 repo.kustomizations: a kustomization.yaml in every manifest folder that lists each manifest once."""
from __future__ import annotations

from collections import Counter
from ...checklist import Item, Plan, Step, Verdict
from ...repo.generate import unit_kustomization
from ...repo.ops import (op_edit, op_write)
from ...repo.validate import (BuildFailed, compare, key_of, multiset, namespace_field_problems)
from .baseline import compare_msg, expected_objects
from .common import Ctx, context, kustomization_files, layout_notes, open_questions, with_namespace_problems
from .namespace_fix import namespace_ops, reject_ops
from .steps import apply_plan, begin, plan_ops


# -- 2.2 --------------------------------------------------------------------------------------------
def kustomization_ops(session, ctx: Ctx) -> list[dict]:
    ops = []
    for up in ctx.layout.upgrades:
        # An object in a removed API version, rewritten to its successor (api-upgrade.<ref>=rewrite); before
        # the removals below, which would shift the document indexes.
        m = up.manifest
        ops.append(op_edit(m.path, "api-upgrade", index=m.index, kind=m.kind, name=m.name,
                           **{"from": m.api_version}))
    for path, indexes in sorted(ctx.layout.dropped_docs.items()):
        # The other copy of a duplicate, an object the API server refuses or one in a removed API version,
        # left out by the answer: remove just that document (ruamel round-trip, comments kept).
        ops.append(op_edit(path, "remove-documents", indexes=sorted(set(indexes))))
    fixes, field_ns, extra, _ = namespace_ops(session, ctx)
    ops += fixes + reject_ops(session, ctx)[0]
    for u in ctx.layout.units:
        if u.kustomization is None:
            ops.append(op_write(f"{u.path}/kustomization.yaml" if u.path != "." else "kustomization.yaml",
                                unit_kustomization(u, ctx.layout.excluded_files, field_ns.get(u.path),
                                                   extra.get(u.path, []))))
        elif not ctx.scan.files[u.kustomization].sops:
            text = (session.repo / u.kustomization).read_text()
            if any(line.startswith("bases:") for line in text.splitlines()):
                ops.append(op_edit(u.kustomization, "bases-to-resources"))
    return ops


def _listing_problems(session, ctx: Ctx, u, got: Counter) -> list[str]:
    """What a folder's kustomization.yaml gets wrong, given the objects it built (`got`)."""
    problems = []
    if not u.tree:  # the owner's own kustomize tree: its render is the reference, not its files
        want = multiset(ctx.place(m.key) for m in u.manifests if m.path not in ctx.layout.excluded_files)
        missing = sorted(k for k in want if got[k] < want[k])
        if missing:
            problems.append(f"{u.kustomization} does not render {', '.join(missing[:5])} (not listed?)")
    twice = sorted(k for k in got if got[k] > 1)
    if twice:
        problems.append(f"{u.kustomization} renders {', '.join(twice[:5])} more than once")
    text = (session.repo / u.kustomization).read_text()
    if any(line.startswith("bases:") for line in text.splitlines()):
        problems.append(f"{u.kustomization} uses the deprecated 'bases' (use 'resources')")
    return problems


class Kustomizations(Item):

    def verify(self, session) -> Verdict:
        ctx = context(session)
        q = open_questions(ctx)
        if q:
            return with_namespace_problems(session, ctx, q)
        problems, built = [], 0
        after: Counter = Counter()
        for u in ctx.layout.units:
            if u.kustomization is None:
                problems.append(f"{u.path}/ has no kustomization.yaml")
                continue
            try:
                rendered = ctx.render(session, u.build_path)
            except BuildFailed as e:
                problems.append(str(e))
                continue
            built += 1
            problems += ctx.homeless(rendered, u.build_path)
            got = multiset(ctx.place(key_of(d)) for d in rendered if ctx.place(key_of(d)) not in ctx.left_out())
            after.update(got)
            problems += _listing_problems(session, ctx, u, got)
        if not problems:
            before, _ = expected_objects(session, ctx)
            lost, added, dup = compare(before, after)
            if lost or added or dup:
                problems.append("the folders do not render the objects your own apply creates: "
                                + compare_msg(lost, added, dup))
        problems += [f"{u.manifest.where}: {u.manifest.kind} {u.manifest.name} is still {u.removal.said} (answered "
                     f"api-upgrade.{u.manifest.key.ref}=rewrite): run repo.kustomizations to rewrite it as "
                     f"{u.removal.successor}" for u in ctx.layout.upgrades]
        # namespace: renames the Namespace objects a kustomization builds (pitfall B.3).
        problems += namespace_field_problems(session, ctx.scan, kustomization_files(ctx))
        ev = {"folders": len(ctx.layout.units), "built": built, "objects": sum(after.values()), "problems": problems,
              "left_out": ctx.layout.left_out}
        if problems:
            return Verdict("failed", "; ".join(problems[:8]), ev)
        return Verdict("passed", f"all {len(ctx.layout.units)} manifest folders have a kustomization.yaml that lists "
                                 "every manifest once, and 'kubectl kustomize' builds each", ev)

    def plan(self, session) -> Plan:
        ctx, resumed = begin(self, session)
        if resumed:
            return resumed
        info = [Step("info", f"{x.path}: {x.role}{'/' + x.tier if x.tier else ''} ({x.reason})"
                             + (f", the {x.env} overlay ({x.build_path})" if x.env else "")) for x in ctx.layout.units]
        info += [Step("info", f"warning: {w}") for w in ctx.layout.warnings] + layout_notes(ctx)
        return plan_ops(self, session, ctx, kustomization_ops(session, ctx),
                     "write a kustomization.yaml (resources, never the deprecated bases) in every manifest folder",
                     info)

    def apply(self, session, plan, progress) -> None:
        apply_plan(self, session, plan, progress)
