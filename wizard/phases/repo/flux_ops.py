"""The repository changes 2.4 makes: aggregator kustomizations, the Flux Kustomizations, current
Flux API versions, and the HelmRelease scaffolds asked for with helm.<folder>.
"""
from __future__ import annotations

from ...checklist import Question
from ...session import Blocked
from ...repo import helm
from ...repo import canary
from ...repo.generate import aggregator, canary_file, flux_documents, flux_file, unit_kustomization
from ...repo.layout import APPS, CONFIGS, CONTROLLERS, INFRA, SOURCES, Unit
from ...repo.ops import op_edit, op_remove, op_write
from ...repo.validate import current_api_version, validate_schema
from ..secrets.flux_paths import reachable_files, sops_files
from .common import Ctx, written_by_wizard

PRUNE = Question("prune", "Let Flux prune objects removed from git", [("true", "yes (recommended)"), ("false", "no")],
                 default="true", help="Namespaces, PVCs and StatefulSets are never pruned either way "
                                      "(kustomize.toolkit.fluxcd.io/prune: disabled), unless you choose to prune them too (the next "
                                      "question).")
STATEFUL = Question("stateful-prune", "Pruning of Namespaces, PVCs and StatefulSets",
                    [("disabled", "never pruned (recommended)"), ("enabled", "pruned like everything else")],
                    default="disabled")


def flux_ops(session, ctx: Ctx) -> list[dict]:
    lay = ctx.layout
    stateful = session.answers.get("stateful-prune", STATEFUL.default) == "disabled"
    prune = session.answers.get("prune", PRUNE.default) == "true"
    scaffold = scaffold_ops(session, ctx)
    ops = []
    for tier in (CONTROLLERS, CONFIGS, APPS):
        if lay.tier_units(tier) and tier not in lay.direct:
            ops.append(op_write(f"{lay.aggregators[tier]}/kustomization.yaml", aggregator(lay, tier, stateful)))
    if canary.path(lay):
        ops.append(op_write(canary.path(lay), canary_file()))
    for name, docs in flux_documents(lay, prune, _decrypting(session, ctx, ops)).items():
        ops.append(op_write(f"clusters/{ctx.cluster}/{name}", flux_file(name, docs)))
    for u in lay.units:
        for m in u.manifests:
            new = current_api_version(m.api_version, m.kind)
            if new and not ctx.scan.files[m.path].sops:
                ops.append(op_edit(m.path, "api-version", index=m.index, **{"from": m.api_version, "to": new}))
    for o in ops:
        f = session.repo / o["path"]
        if o["op"] == "write" and f.exists() and not written_by_wizard(session, o["path"]):
            raise Blocked(f"{o['path']} already exists and was not written by the wizard; move it away (or merge it "
                          "by hand), then run repo.flux-manifests again.")
    return scaffold + ops


def _decrypting(session, ctx: Ctx, ops: list[dict]) -> frozenset[str]:
    """The Flux Kustomizations whose path builds a sops-encrypted file (with the aggregator
    kustomization.yaml files these ops are about to write): they get spec.decryption."""
    encrypted = sops_files(ctx.scan)
    if not encrypted:
        return frozenset()
    pending = {o["path"]: o["content"] for o in ops if o["op"] == "write"}
    return frozenset(name for name, path in ctx.layout.flux_paths().items()
                     if reachable_files(session.repo, path, encrypted, pending) & set(encrypted))


def _sources_unit(ctx: Ctx) -> Unit:
    """The folder for HelmRepositories: the first sources folder, else a new one added to the layout
    (so the aggregators and the Flux Kustomizations written after the scaffolds include it)."""
    lay = ctx.layout
    srcs = lay.by_tier(SOURCES)
    if srcs:
        return srcs[0]
    folder = "infrastructure/sources" if ctx.option == "b" else f"{lay.aggregators[CONTROLLERS]}/sources"
    su = Unit(folder, [], [], origin=folder, role=INFRA, tier=SOURCES, target=folder,
              reason="new: the HelmRepository of a Helm scaffold")
    lay.units.append(su)
    return su


def _source_ops(session, ctx: Ctx, sc) -> list[dict]:
    """Write a scaffold's HelmRepository and list it in its folder's kustomization.yaml."""
    su = _sources_unit(ctx)
    path = f"{su.target}/{sc.source_name}.yaml"
    if (session.repo / path).exists() and not written_by_wizard(session, path):
        raise Blocked(f"{path} already exists (a different chart repository?); rename it or choose another "
                      f"URL for helm-repo.{sc.request.folder}, then run repo.flux-manifests again.")
    ops = [op_write(path, helm.source_file(sc.source))]
    if su.kustomization and not written_by_wizard(session, su.kustomization):
        text = (session.repo / su.kustomization).read_text()
        if f"{sc.source_name}.yaml" not in text:
            raise Blocked(f"{su.kustomization} was written by hand: add '- {sc.source_name}.yaml' to its "
                          "resources (or let the wizard own it), then run repo.flux-manifests again.")
    else:
        files = sorted(set(su.files) | {path})
        kpath = su.kustomization or f"{su.target}/kustomization.yaml"
        ops.append(op_write(kpath, unit_kustomization(Unit(su.path, files, []), ctx.layout.excluded_files)))
        su.files = files  # the next HelmRepository in this folder is listed beside this one
    return ops


def scaffold_ops(session, ctx: Ctx) -> list[dict]:
    """HelmRepository + HelmRelease scaffolds asked for with helm.<folder> (see wizard/repo/helm.py)."""
    ctx.scaffolds = helm.plan_scaffolds(session.repo, ctx.layout, ctx.scan.manifests, session.answers)
    ops: list[dict] = []
    written: set[str] = set()
    for sc in ctx.scaffolds:
        if sc.source is not None and sc.source_name not in written:
            written.add(sc.source_name)
            ops += _source_ops(session, ctx, sc)
        u = sc.unit
        # From now on Helm renders this folder's objects: no health checks or prune patches for the old ones.
        u.manifests = [m for m in u.manifests if m.kind == "HelmRelease"]
        ops.append(op_write(sc.release_path, helm.release_file(sc.release)))
        ops.append(op_write(u.kustomization or f"{u.target}/kustomization.yaml", helm.folder_kustomization()))
        ops += [op_remove(f) for f in sc.remove]
    # Two new HelmRepositories in one new sources folder: write its kustomization.yaml once, complete.
    last = {o["path"]: i for i, o in enumerate(ops) if o["op"] == "write"}
    return [o for i, o in enumerate(ops) if o["op"] != "write" or last[o["path"]] == i]


def scaffold_problems(session, e: dict) -> list[str]:
    import yaml

    out = []
    for path, check in ((e["release_file"], helm.release_problems), (e.get("source_file"), validate_schema)):
        if not path:
            continue
        try:
            doc = yaml.safe_load((session.repo / path).read_text())
        except (OSError, yaml.YAMLError) as err:
            out.append(f"{path}: cannot be read ({err})")
            continue
        out += [f"{path}: {x}" for x in (check(doc) or [])]
    return out


def unit_in(u: Unit, path: str, ctx: Ctx) -> bool:
    lay = ctx.layout
    for tier in (CONTROLLERS, CONFIGS, APPS):
        if (lay.direct.get(tier) or lay.aggregators.get(tier)) == path:
            return u in lay.tier_units(tier)
    return False
