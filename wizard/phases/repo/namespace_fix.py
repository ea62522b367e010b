"""Phase 2's part in namespaces and rejected objects: what the cluster says (cluster_facts), the
decisions (repo/namespaces.py, repo/rejects.py), and the edits 2.2 makes for them.

2.2 gives each object without a namespace the one it lives in: with `namespace:` in a kustomization
when a folder's objects all share it (a new kustomization.yaml the wizard writes, or a kustomize
tree's own entry), else in the manifest itself (ruamel round-trip, comments kept). It writes the
Namespace manifests answered `create-namespace.<ns>=write`, and fixes or leaves out each object
the API server refuses (`reject.<…>`). A kustomize tree's objects are edited where they come from
(kustomize's origin annotation).
"""
from __future__ import annotations

import yaml

from ...repo import namespaces as nsmod
from ...repo import rejects as rj
from ...repo.layout_model import Layout, Unit
from ...repo.generate import unit_kustomization
from ...repo.ops import op_edit, op_write
from ...repo.validate import BuildFailed, build_with_origin, source_manifest
from . import cluster_facts

# kustomize's namespace: also rewrites these (binding subjects, webhook services): never set it over them.
_NAMESPACE_FIELD_AVOIDS = {"RoleBinding", "ClusterRoleBinding"}


def facts(session, units: list[Unit], connected: bool) -> nsmod.Facts:
    ns, why = cluster_facts.context_namespace(session)
    f = nsmod.Facts(default_ns=ns, default_why=why)
    if not connected:
        return f
    f.served = cluster_facts.discovery(session, {m.api_version for u in units for m in u.objects})
    f.lives = lambda resource, group, name: cluster_facts.where_it_lives(session, resource, group, name)
    f.existing = cluster_facts.namespaces(session)
    return f


def _kustomization_namespace(session, u: Unit) -> str | None:
    """The namespace: a plain folder's (wizard-written) kustomization sets, if any."""
    if u.tree or not u.kustomization:
        return None
    try:
        doc = yaml.safe_load((session.repo / u.kustomization).read_text())
    except (OSError, yaml.YAMLError):
        return None
    return doc.get("namespace") if isinstance(doc, dict) and isinstance(doc.get("namespace"), str) else None


def placer(session, ctx, connected: bool):
    """The hook build_layout calls to place the objects of the units it keeps (before duplicates)."""
    def run(units: list[Unit], msgs: dict) -> None:
        ctx.connected = connected
        ctx.facts = facts(session, units, connected)
        ctx.placement = nsmod.place(units, ctx.scan.manifests, ctx.facts, session.answers, msgs,
                                    unit_namespace=lambda u: _kustomization_namespace(session, u))
    return run


def settle(session, ctx) -> None:
    """After the layout: the namespaces made by hand, and what the API server refuses (the left-out
    ones taken out of the layout)."""
    layout = ctx.layout
    if ctx.placement is None:  # no unit to place (an empty repo)
        ctx.placement = nsmod.place([], ctx.scan.manifests, nsmod.Facts(), session.answers,
                                    {"needs": layout.needs, "blocks": layout.blocks})
    nsmod.made_by_hand(layout, ctx.placement, ctx.facts or nsmod.Facts(), session.answers)
    ctx.rejected = rj.find_rejected(layout, ctx.placement.place)
    if ctx.connected:  # the API server's own validation too
        ctx.rejected += rj.server_rejected(layout, ctx.placement.place,
                                           cluster_facts.server_refusals(session, _sendable(layout, ctx)),
                                           ctx.rejected)
        in_cluster = cluster_facts.claims(session)
        if in_cluster is not None:
            ctx.rejected += rj.dangling_claims(layout, ctx.placement.place, in_cluster)
    answered = rj.ask(layout, ctx.rejected, session.answers)
    gone = [r for r in answered if session.answers.get(r.key) == rj.EXCLUDE]
    for r in gone:
        _leave_out(layout, r)
    drop = {(r.manifest.path, r.manifest.kind, r.manifest.name) for r in gone}
    ctx.placement.homeless = [h for h in ctx.placement.homeless
                              if (h.manifest.path, h.manifest.kind, h.manifest.name) not in drop]
    layout.warnings += ctx.placement.notes


def _sendable(layout: Layout, ctx) -> list[dict]:
    """The layout's plain objects as the cluster would get them (placed in their namespace), for the
    API server's validation; encrypted ones stay out (Flux decrypts them)."""
    out = []
    for u in layout.units:
        for m in u.objects:
            if not isinstance(m.doc, dict) or "sops" in m.doc or not isinstance(m.doc.get("metadata"), dict):
                continue
            doc = dict(m.doc)
            ns = ctx.placement.place(m.key).namespace
            if ns and not doc["metadata"].get("namespace"):
                doc["metadata"] = {**doc["metadata"], "namespace": ns}
            out.append(doc)
    return out


def _leave_out(layout: Layout, r: rj.Rejected) -> None:
    """The object is no longer part of what Flux applies (its document goes at 2.2)."""
    u, m = r.unit, r.manifest
    layout.left_out.append(f"{m.kind} {r.ref.split('/', 1)[1]} ({m.where}): the API server refuses it ({r.why}); "
                           "left out of Flux by your answer, as your own apply never created it")
    if u.tree:
        u.rendered = [x for x in u.rendered or [] if x is not m]
        return
    u.manifests = [x for x in u.manifests if x is not m]
    layout.dropped_docs.setdefault(m.path, []).append(m.index)
    if not any(x.path == m.path for x in u.manifests):
        layout.excluded_files.add(m.path)
        layout.dropped_docs.pop(m.path, None)


# -- 2.2's edits -------------------------------------------------------------------------------------
def _shared_namespace(placement: nsmod.Placement, u: Unit) -> str | None:
    """The one namespace all of a folder's objects get, when `namespace:` may set it for them."""
    homeless = [h for h in placement.homeless if h.unit is u]
    if not homeless or len(homeless) != len(u.objects):
        return None  # some object names one (or needs none): only the manifests say which
    spaces = {h.namespace for h in homeless}
    if len(spaces) != 1 or any(m.kind in _NAMESPACE_FIELD_AVOIDS for m in u.objects):
        return None
    return spaces.pop()


def _origins(session, u: Unit) -> dict[tuple[str, str, str], str | None]:
    """(kind, namespace, name) -> the repo file each object of a kustomize tree comes from."""
    try:
        built = build_with_origin(session, u.build_path)
    except BuildFailed:
        return {}
    return {(d["kind"], str(d["metadata"].get("namespace") or ""), d["metadata"]["name"]): origin
            for d, origin in built}


def _source_of(session, ctx, u: Unit, m, origins: dict):
    """The repo manifest to edit for object `m` of unit `u` (None when it cannot be told)."""
    if not u.tree:
        return m
    if id(u) not in origins:
        origins[id(u)] = _origins(session, u)
    found = origins[id(u)]
    origin = found.get((m.kind, m.namespace, m.name)) or found.get((m.kind, "", m.name))
    return source_manifest(ctx.scan.manifests, m.kind, m.name, origin) if origin else None


def namespace_ops(session, ctx) -> tuple[list[dict], dict[str, str], dict[str, list[str]], list[str]]:
    """(edits, {folder: namespace for the new kustomization.yaml}, {folder: new files it lists}, problems)."""
    placement = ctx.placement
    origins: dict = {}
    ops: list[dict] = []
    field_ns: dict[str, str] = {}
    problems: list[str] = []
    for u in ctx.layout.units:
        homeless = [h for h in placement.homeless if h.unit is u]
        if not homeless:
            continue
        shared = _shared_namespace(placement, u)
        if shared and u.kustomization is None:
            field_ns[u.path] = shared
            continue
        if shared and u.tree and not ctx.scan.files[u.kustomization].sops:
            # The tree's entry (the chosen overlay's kustomization): one line instead of an edit per file.
            ops.append(op_edit(u.kustomization, "kustomization-namespace", namespace=shared))
            continue
        lay = ctx.layout
        for h in homeless:
            if h.manifest.path in lay.excluded_files or h.manifest.index in lay.dropped_docs.get(h.manifest.path, []):
                continue  # not part of what Flux applies (the other copy of a duplicate): left as it is
            m = _source_of(session, ctx, u, h.manifest, origins)
            if m is None:
                problems.append(f"{h.manifest.kind} {h.manifest.name} ({h.manifest.where}) has no namespace and "
                                "the file it comes from was not found: set metadata.namespace in it by hand")
                continue
            if ctx.scan.files.get(m.path) and ctx.scan.files[m.path].sops:
                problems.append(f"{m.where}: {m.kind} {m.name} has no namespace and is encrypted with SOPS: add "
                                f"metadata.namespace: {h.namespace} with 'sops edit'")
                continue
            ops.append(op_edit(m.path, "set-namespace", index=m.index, kind=m.kind, name=m.name,
                               namespace=h.namespace))
    extra: dict[str, list[str]] = {}
    if placement.write:
        ops += _namespace_manifest_ops(ctx, sorted(placement.write), extra)
    return ops, field_ns, extra, problems


NEW_FOLDER = "namespaces"


def namespace_manifest(ns: str) -> str:
    return ("# Written by homelab-wizard 2.2: this namespace was made by hand (nothing in the repo created it).\n"
            + yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, sort_keys=False))


def _namespace_manifest_ops(ctx, names: list[str], extra: dict[str, list[str]]) -> list[dict]:
    """One file per namespace, in the repo's folder of Namespace manifests (else a new namespaces/):
    infrastructure, which Flux applies before the apps that live in them."""
    home = next((u for u in ctx.layout.units if not u.tree and u.kinds == ["Namespace"]), None)
    folder = home.path if home else NEW_FOLDER
    if home is None and (ctx.scan.root is not None and (ctx.scan.root / folder).exists()):
        folder = f"{NEW_FOLDER}-made-by-hand"
    ops, files = [], []
    for ns in names:
        path = f"{folder}/namespace-{ns}.yaml" if folder not in (".", "") else f"namespace-{ns}.yaml"
        ops.append(op_write(path, namespace_manifest(ns)))
        files.append(path)
    if home is not None and home.kustomization:
        ops += [op_edit(home.kustomization, "add-resource", name=f.rsplit("/", 1)[-1]) for f in files]
    elif home is not None:
        extra.setdefault(home.path, []).extend(files)
    else:
        ops.append(op_write(f"{folder}/kustomization.yaml", unit_kustomization(Unit(folder, files, []), set())))
    return ops


def reject_ops(session, ctx) -> tuple[list[dict], list[str]]:
    """(edits, problems) for the answered reject.<…>: the fix, or (a kustomize tree's object) the
    document removed where it comes from; a plain folder's left-out ones go with the dropped documents."""
    ops, problems, origins = [], [], {}
    for r in ctx.rejected:
        answer = session.answers.get(r.key)
        if answer not in (rj.FIX, rj.EXCLUDE) or (answer == rj.EXCLUDE and not r.unit.tree):
            continue
        if answer == rj.FIX and not r.fixable:
            problems.append(f"{r.manifest.where}: {r.manifest.kind} {r.ref}: the API server refuses it ({r.why}); only "
                            f"you can correct that file, or answer {r.key}=exclude")
            continue
        m = _source_of(session, ctx, r.unit, r.manifest, origins)
        if m is None or (ctx.scan.files.get(m.path) and ctx.scan.files[m.path].sops):
            problems.append(f"{r.manifest.where}: {r.manifest.kind} {r.ref}: the file it comes from cannot be edited "
                            "here; fix it by hand")
            continue
        if answer == rj.EXCLUDE:
            ops.append(op_edit(m.path, "remove-documents", indexes=[m.index]))
            continue
        if r.repair is not None:
            ops.append(op_edit(m.path, "ssa-repair", index=m.index, kind=m.kind, name=m.name, repair=r.repair))
            continue
        transform = "data-to-stringdata" if (m.kind, r.field) == ("Secret", "data") else "quote-values"
        ops.append(op_edit(m.path, transform, index=m.index, kind=m.kind, name=m.name, field=r.field, keys=r.keys))
    return ops, problems
