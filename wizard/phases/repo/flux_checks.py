"""The checks behind 2.4's verify: the Flux documents in clusters/<cluster>/ parse, match the Flux CRD
schemas, are ordered by dependsOn, and their paths build the same objects the repository applied before.

Each helper returns its findings instead of raising, so verify can report every problem at once (the
order of the list is the order the user reads them in).
"""
from __future__ import annotations

from collections import Counter
from ...repo import canary
from ...repo.validate import BuildFailed, compare, current_api_version, key_of, multiset, validate_schema
from .baseline import compare_msg, expected_objects, scaffold_entries
from .common import Ctx
from .flux_ops import scaffold_problems

# Infrastructure before apps: a tier must depend on an earlier one, and dry-runs go in this order.
TIER_ORDER = {"infra-controllers": 0, "infra-configs": 1, "apps": 2}
FLUX_FILES = ("infrastructure.yaml", "apps.yaml")
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def tier_rank(name: str) -> int:
    """Kustomizations the wizard did not name sort after its own tiers."""
    return TIER_ORDER.get(name, 9)


def read_flux_documents(session, cluster: str) -> tuple[list[tuple[str, object]], list[str]]:
    """(where, document) for every document of the Flux files, and the files that are not YAML."""
    import yaml

    docs, problems = [], []
    for name in FLUX_FILES:
        f = session.repo / "clusters" / cluster / name
        if f.is_file():
            try:
                docs += [(f"clusters/{cluster}/{name}", x) for x in yaml.safe_load_all(f.read_text()) if x]
            except yaml.YAMLError as e:
                problems.append(f"clusters/{cluster}/{name} is not valid YAML ({e})")
    return docs, problems


def flux_kustomizations(docs: list[tuple[str, object]]) -> dict[str, tuple[str, dict]]:
    """name → (where, document); anything without metadata is left to the schema check to report."""
    return {x["metadata"]["name"]: (where, x) for where, x in docs
            if isinstance(x, dict) and x.get("kind") == "Kustomization" and isinstance(x.get("metadata"), dict)}


def schema_findings(docs: list[tuple[str, object]]) -> tuple[list[str], list[str]]:
    """(problems, warnings): a kind without a shipped schema is a warning, not a failure."""
    problems, warnings = [], []
    for where, x in docs:
        errs = validate_schema(x)
        if errs is None:
            warnings.append(f"{where}: no schema shipped for {x.get('apiVersion')} {x.get('kind')}; not checked")
        problems += [f"{where}: {e}" for e in errs or []]
    return problems, warnings


def _depends_on(x: dict) -> list:
    return [dd.get("name") for dd in (x.get("spec") or {}).get("dependsOn") or []]


def ordering_problems(ks: dict[str, tuple[str, dict]]) -> list[str]:
    """Infrastructure before apps, CRD owners before their custom resources: every dependsOn exists,
    and each of the wizard's tiers depends on at least one earlier tier that is defined."""
    problems = []
    for name, (where, x) in ks.items():
        deps = _depends_on(x)
        for dep in deps:
            if dep not in ks:
                problems.append(f"{where}: {name} depends on {dep}, which is not defined")
        if name in TIER_ORDER:
            earlier = [n for n in ks if tier_rank(n) < TIER_ORDER[name]]
            if earlier and not set(deps) & set(earlier):
                problems.append(f"{where}: {name} must depend on {' or '.join(earlier)}")
    return problems


def _path_problems(session, where: str, name: str, path: str) -> tuple[list[str], bool]:
    """(problems, whether the path can be built at all)."""
    if "\\" in path or not (session.repo / path).is_dir():
        return [f"{where}: {name} points to ./{path}, which does not exist"], False
    if not any((session.repo / path / k).is_file() for k in KUSTOMIZATION_NAMES):
        # Without one, kustomize-controller generates it and applies every file below the path.
        return [f"{where}: ./{path} has no kustomization.yaml (Flux would apply every file below it)"], True
    return [], True


def render_flux_paths(session, ctx: Ctx, ks: dict[str, tuple[str, dict]]) -> tuple[Counter, dict[str, list[dict]], list[str]]:
    """(objects of all paths together, rendered documents per Kustomization, problems): every path
    must build; the ones that do not are left out of both totals."""
    after: Counter = Counter()
    rendered: dict[str, list[dict]] = {}
    problems: list[str] = []
    for name, (where, x) in ks.items():
        path = str((x.get("spec") or {}).get("path", "")).removeprefix("./").strip("/")
        found, buildable = _path_problems(session, where, name, path)
        problems += found
        if not buildable:
            continue
        try:
            rendered[name] = ctx.render(session, path)
        except BuildFailed as e:
            problems.append(str(e))
            continue
        problems += ctx.homeless(rendered[name], f"./{path}")
        after.update(multiset(ctx.place(key_of(o)) for o in rendered[name]))
    return after, rendered, problems


def rendered_set_problems(session, ctx: Ctx, after: Counter) -> tuple[list[str], dict[str, str]]:
    """(problems, objects a Helm scaffold replaced): together the Flux paths must render what the
    repository applied before the migration, and every recorded scaffold must still be valid."""
    before, replaced = expected_objects(session, ctx)
    if canary.tier(ctx.layout):
        before[canary.key()] = 1  # the wizard's drift canary, which 2.4 adds to a Flux path for 4.3/4.4
    lost, added, dup = compare(before, after)
    problems = []
    for e in scaffold_entries(session):
        problems += scaffold_problems(session, e)
    if lost or added or dup:
        problems.append("the Flux paths do not render the same objects as before: " + compare_msg(lost, added, dup))
    return problems, replaced


def outdated_api_problems(ctx: Ctx) -> list[str]:
    outdated = [f"{m.where} {m.kind} {m.api_version}" for u in ctx.layout.units for m in u.manifests
                if current_api_version(m.api_version, m.kind)]
    return ["outdated Flux API versions: " + ", ".join(outdated[:5])] if outdated else []


def namespace_notes(ctx: Ctx) -> list[str]:
    """What the preview says about namespaces made by hand that the repo does not create."""
    return list(ctx.placement.notes) if ctx.placement is not None else []


def dry_run_findings(dry: list[dict]) -> tuple[list[str], list[str]]:
    """(problems, ordering questions) from the server dry-run of every path."""
    problems, questions = [], []
    for r in dry:
        problems += [f"server dry-run of {r['path']}: {e}" for e in r["errors"]]
        questions += r["questions"]
    return problems, questions


def passed_message(ks: dict, objects: int, dry_run: bool, questions: list[str], canary_too: bool = False) -> str:
    msg = (f"{len(ks)} Flux Kustomizations ({', '.join(sorted(ks, key=tier_rank))}) valid against "
           f"the Flux CRD schemas; every path builds and together they render the same {objects} objects")
    if canary_too:
        msg += " (and the wizard's drift canary)"
    if dry_run:
        msg += "; the cluster accepts them (server-side dry-run)"
    if questions:
        msg += f"; {len(questions)} ordering question(s): " + "; ".join(questions[:3])
    return msg
