"""Which files each Flux Kustomization applies, and which of those need decryption."""
from __future__ import annotations

from pathlib import Path
from ...paths import norm_repo_path as _norm
from ...paths import under
from ...repo import generate
from ...repo.ops import op_write
from ...repo.scan import KUSTOMIZATION_NAMES, scan
from ...repo.yamledit import round_trip


# -- S.4 --------------------------------------------------------------------------------------------------------
FLUX_GROUP = "kustomize.toolkit.fluxcd.io"


SOPS_AGE = "sops-age"


FLUX_NS = "flux-system"


DECRYPTION = generate.DECRYPTION  # one definition: 2.4 writes it, S.3 and S.4 check it


def reachable_files(repo: Path, path: str, all_files: list[str], pending: dict[str, str] | None = None) -> set[str]:
    """Files a Flux Kustomization at `path` builds: kustomization.yaml resources, else everything below.
    `pending`: {repo path: text} of kustomization.yaml files a plan is about to write (read instead of disk)."""
    import yaml

    files: set[str] = set()
    seen: set[str] = set()
    pending = pending or {}

    def kustomization_text(d: str) -> str | None:
        for n in KUSTOMIZATION_NAMES:
            rel = _norm(f"{d}/{n}")
            if rel in pending:
                return pending[rel]
            if (repo / rel).is_file():
                return (repo / rel).read_text()
        return None

    def visit(d: str) -> None:
        if d in seen:
            return
        seen.add(d)
        text = kustomization_text(d)
        if text is None:
            files.update(f for f in all_files if under(f, d))
            return
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            return
        for r in [*(doc.get("resources") or []), *(doc.get("components") or [])]:
            t = _norm(f"{d}/{r}")
            if (repo / t).is_dir():
                visit(t)
            elif (repo / t).is_file() or t in all_files:
                files.add(t)

    visit(_norm(path))
    return files


def flux_kustomizations(session, result=None):
    result = result or scan(session.repo)
    return result, [m for m in result.manifests if m.kind == "Kustomization" and m.api_version.startswith(FLUX_GROUP + "/")]


def needing_decryption(session, to_encrypt: tuple[str, ...] = ()) -> list[tuple[object, list[str]]]:
    """(Flux Kustomization, the encrypted files it builds) for each that builds one; `to_encrypt`: files
    that are not encrypted yet but are about to be (S.3's plan)."""
    result, kss = flux_kustomizations(session)
    encrypted = sorted(set(sops_files(result)) | set(to_encrypt))
    out = []
    for m in kss:
        path = ((m.doc.get("spec") or {}).get("path")) or "./"
        # reachable_files lists every file a kustomization.yaml names, sops or not: keep the sops ones.
        hits = sorted(reachable_files(session.repo, path, encrypted) & set(encrypted))
        if hits:
            out.append((m, hits))
    return out


def decryption_ops(session, to_encrypt: tuple[str, ...] = ()) -> list[dict]:
    """Writes that add spec.decryption to every Flux Kustomization that builds an encrypted file and
    lacks it (comments and order kept: a round-trip edit)."""
    by_file: dict[str, list[int]] = {}
    for m, _ in needing_decryption(session, to_encrypt):
        if (m.doc.get("spec") or {}).get("decryption") != DECRYPTION:
            by_file.setdefault(m.path, []).append(m.index)
    ops = []
    for rel, idx in by_file.items():
        text = (session.repo / rel).read_text()

        def mutate(docs, idx=idx):
            for i in idx:
                docs[i]["spec"]["decryption"] = {"provider": "sops", "secretRef": {"name": SOPS_AGE}}

        ops.append(op_write(rel, round_trip(text, mutate)))
    return ops


def sops_files(result) -> list[str]:
    """The repo's sops-encrypted files, as the scan found them (a document with a top-level `sops:`)."""
    return sorted(rel for rel, i in result.files.items() if i.sops)


def missing_decryption(repo: Path, kustomizations: list[tuple[str, dict]], encrypted: list[str],
                       pending: dict[str, str] | None = None) -> list[tuple[str, dict, list[str]]]:
    """(where, Flux Kustomization, the encrypted files it builds) for each one whose path builds an
    encrypted file but that has no `decryption: {provider: sops, secretRef: sops-age}`: Flux would stop
    it with "is SOPS encrypted, configuring decryption is required"."""
    out = []
    for where, doc in kustomizations:
        spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
        if spec.get("decryption") == DECRYPTION:
            continue
        hits = sorted(reachable_files(repo, str(spec.get("path") or "./"), encrypted, pending) & set(encrypted))
        if hits:
            out.append((where, doc, hits))
    return out


def describe_missing(missing: list[tuple[str, dict, list[str]]], then: str) -> list[str]:
    """One sentence per Kustomization that builds encrypted files without decryption."""
    return [f"{where}: Flux Kustomization {doc['metadata'].get('name')} builds sops-encrypted "
            f"{', '.join(hits[:3])}{' …' if len(hits) > 3 else ''} but has no spec.decryption (provider sops, "
            f"secretRef {SOPS_AGE}), so Flux would stop it ('configuring decryption is required'); {then}"
            for where, doc, hits in missing]
