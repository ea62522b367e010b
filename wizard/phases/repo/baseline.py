"""The object set before any change, for "nothing lost, nothing duplicated" in 2.2-2.4."""
from __future__ import annotations

from collections import Counter
from ...session import Blocked
from ...repo import gitstate
from ...repo.layout import Unit
from ...repo.validate import (BuildFailed, key_of, multiset)
from .common import BASELINE, Ctx, SCAFFOLD, context, stop_if_open


# -- the object set before any change (for "nothing lost, nothing duplicated") ---------------------
def unit_objects(session, ctx: Ctx, units: list[Unit]) -> Counter:
    """The reference set: what the owner's own apply creates (a kustomize tree's render, a plain
    folder's objects), each object once, in the namespace it lives in (an object that names none is
    where `kubectl apply` put it); without what the API server refuses and the answer leaves out,
    with the Namespaces made by hand that the answer writes into the repo."""
    keys = []
    for u in units:
        if u.tree:
            keys += [key_of(d) for d in ctx.render(session, u.build_path)]
        else:
            keys += [m.key for m in u.manifests if m.path not in ctx.layout.excluded_files]
    left = ctx.left_out()
    keys = [k for k in map(ctx.place, keys) if k not in left]
    keys += ctx.placement.namespace_keys() if ctx.placement is not None else []
    return Counter({k: 1 for k in multiset(keys)})


def _scope_answers(session) -> dict:
    """The answers that decide what the reference set holds (a new answer means a new baseline)."""
    return {k: v for k, v in session.answers.items()
            if k.split(".", 1)[0] in ("environment", "class", "duplicate", "reject", "create-namespace", "namespace",
                                      "scope", "api-upgrade")}


def ensure_baseline(session) -> None:
    """Record the objects the repo defines before the wizard's first change on this commit."""
    if gitstate.pending_steps(session):
        return
    h = gitstate.head(session)
    scope = _scope_answers(session)
    if any(e.get("action") == BASELINE and e.get("head") == h and e.get("scope", {}) == scope
           for e in session.state.journal):
        return
    ctx = context(session)
    stop_if_open(ctx)
    try:
        objs = unit_objects(session, ctx, ctx.layout.units)
    except BuildFailed as e:
        raise Blocked(f"{e}; fix it (or leave that folder out with class.<folder>=exclude), then run the item again "
                      "(nothing was changed)") from None
    session.state.record(BASELINE, head=h, scope=scope, objects=sorted(objs.elements()))
    session.store.save()


def add_adopted(session) -> None:
    """2.0 brought objects from the cluster into the repo: they belong to the reference set from now
    on (2.2-2.4 check that Phase 2 neither loses nor adds objects; adopted ones are not "added")."""
    ctx = context(session)
    objs = unit_objects(session, ctx, ctx.layout.units)
    session.state.record(BASELINE, head=gitstate.head(session), scope=_scope_answers(session),
                         objects=sorted(objs.elements()), adopted=True)
    session.store.save()


def baseline(session, ctx: Ctx) -> Counter:
    scope = _scope_answers(session)
    entries = [e for e in session.state.journal if e.get("action") == BASELINE and e.get("scope", {}) == scope]
    if entries:
        return Counter({k: 1 for k in entries[-1]["objects"]})
    return unit_objects(session, ctx, ctx.layout.units)


def scaffold_entries(session) -> list[dict]:
    """The HelmRelease scaffolds applied since the baseline (last one per folder, file still present)."""
    journal = session.state.journal
    start = max((i for i, e in enumerate(journal) if e.get("action") == BASELINE), default=None)
    if start is None:  # no baseline recorded: it is computed from the repo as it is now
        return []
    last: dict[str, dict] = {}
    for e in journal[start + 1:]:
        if e.get("action") == SCAFFOLD:
            last[e["folder"]] = e
    return [e for e in last.values() if (session.repo / e["release_file"]).is_file()]


def expected_objects(session, ctx: Ctx) -> tuple[Counter, dict[str, str]]:
    """The baseline with the objects of scaffolded folders now produced by Helm: (objects, {replaced: by})."""
    before = Counter(baseline(session, ctx))
    replaced: dict[str, str] = {}
    for e in scaffold_entries(session):
        for k in e["replaced"]:
            if before[k] > 0:
                before[k] -= 1
            replaced[k] = f"replaced by HelmRelease {e['release']}"
        before[e["release_key"]] += 1
        if e.get("source_key"):
            before[e["source_key"]] += 1
    return +before, replaced


def compare_msg(lost, added, dup) -> str:
    parts = []
    if lost:
        parts.append(f"lost {len(lost)}: {', '.join(lost[:10])}")
    if dup:
        parts.append(f"duplicated {len(dup)}: {', '.join(dup[:10])}")
    if added:
        parts.append(f"new {len(added)}: {', '.join(added[:10])}")
    return "; ".join(parts)
