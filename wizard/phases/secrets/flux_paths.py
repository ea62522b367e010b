"""Which files each Flux Kustomization applies, and which of those need decryption."""
from __future__ import annotations

from pathlib import Path
from ...paths import norm_repo_path as _norm
from ...paths import under
from ...repo.scan import KUSTOMIZATION_NAMES, scan


# -- S.4 --------------------------------------------------------------------------------------------------------
FLUX_GROUP = "kustomize.toolkit.fluxcd.io"


SOPS_AGE = "sops-age"


FLUX_NS = "flux-system"


DECRYPTION = {"provider": "sops", "secretRef": {"name": SOPS_AGE}}


def reachable_files(repo: Path, path: str, all_files: list[str]) -> set[str]:
    """Files a Flux Kustomization at `path` builds: kustomization.yaml resources, else everything below."""
    import yaml

    files: set[str] = set()
    seen: set[str] = set()

    def visit(d: str) -> None:
        if d in seen:
            return
        seen.add(d)
        kfile = next((repo / d / n for n in KUSTOMIZATION_NAMES if (repo / d / n).is_file()), None)
        if kfile is None:
            files.update(f for f in all_files if under(f, d))
            return
        try:
            doc = yaml.safe_load(kfile.read_text()) or {}
        except yaml.YAMLError:
            return
        for r in [*(doc.get("resources") or []), *(doc.get("components") or [])]:
            t = _norm(f"{d}/{r}")
            if (repo / t).is_dir():
                visit(t)
            elif (repo / t).is_file():
                files.add(t)

    visit(_norm(path))
    return files


def flux_kustomizations(session, result=None):
    result = result or scan(session.repo)
    return result, [m for m in result.manifests if m.kind == "Kustomization" and m.api_version.startswith(FLUX_GROUP + "/")]


def needing_decryption(session) -> list[tuple[object, list[str]]]:
    result, kss = flux_kustomizations(session)
    sops_files = [rel for rel, i in result.files.items() if i.sops]
    out = []
    for m in kss:
        path = ((m.doc.get("spec") or {}).get("path")) or "./"
        # reachable_files lists every file a kustomization.yaml names, sops or not: keep the sops ones.
        hits = sorted(reachable_files(session.repo, path, sops_files) & set(sops_files))
        if hits:
            out.append((m, hits))
    return out
