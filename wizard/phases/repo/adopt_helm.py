"""2.0's Helm half: a release installed with `helm install` becomes a HelmRepository (or OCIRepository)
and a HelmRelease in the repo, which helm-controller takes over as an upgrade of the same release.

The release's objects are not offered one by one (cluster/adopt.py leaves them to their release);
the release is the unit: adopt (with its chart repository's URL), leave (with a reason), or later.
The finding, the questions and the files are wizard.cluster.helm_releases and wizard.repo.helm_adopt;
this module turns them into 2.0's plan operations and its check.
"""
from __future__ import annotations

from ...cluster import helm_releases as hr
from ...repo import helm_adopt
from ...repo.ops import op_edit, op_mkdir, op_write
from ...repo.scan import scan
from ...session import Blocked


def survey(session) -> tuple[list, dict[str, str]]:
    """(releases that can be decided on, {release: why it cannot be adopted as it is})."""
    releases = hr.find_releases(session)
    return [r for r in releases if not r.problem], {r.key: r.problem for r in releases if r.problem}


def _seal(session, release):
    """How the values Secret of `release` is encrypted before it is written (S.2's method)."""
    import yaml

    from ..secrets.methods import encrypter

    try:
        encrypt = encrypter(session)
    except Blocked as e:
        raise Blocked(f"the Helm release {release.key} has values that look like credentials, written only "
                      f"encrypted, and {e} Or answer {hr.CHOICE_PREFIX}{release.key}=later for now.", needs=("secrets.keys",)) from None
    return lambda path, text: encrypt(path, yaml.safe_load(text))


def ops(session, releases: list, answers: dict) -> list[dict]:
    """Write each adopted release's files; list them in an existing kustomization of their folder."""
    out: list[dict] = []
    for r in releases:
        adoption = helm_adopt.flux_objects(r, hr.repo_url(r, answers), seal=_seal(session, r)
                                           if helm_adopt.split_values(r.config).secret else None)
        folders = sorted({p.rsplit("/", 1)[0] for p in adoption.files})
        out += [op_mkdir(f) for f in folders if not (session.repo / f).is_dir()]
        out += [op_write(p, text) for p, text in sorted(adoption.files.items())]
        for f in folders:
            k = next((f"{f}/{n}" for n in ("kustomization.yaml", "kustomization.yml")
                      if (session.repo / f / n).is_file()), None)
            if k:
                out += [op_edit(k, "add-resource", name=p.rsplit("/", 1)[1]) for p in adoption.files
                        if p.rsplit("/", 1)[0] == f]
    return out


def with_secret_values(releases: list) -> list:
    """The releases whose values look like credentials (written only encrypted: they need S.2)."""
    return [r for r in releases if helm_adopt.split_values(r.config).secret]


def in_repo(session, releases: list) -> set[str]:
    """The releases a HelmRelease in the repo takes over (same release name and namespace)."""
    have = set()
    for m in scan(session.repo).manifests:
        if m.kind != "HelmRelease" or not isinstance(m.doc, dict):
            continue
        spec = m.doc.get("spec") or {}
        ns = spec.get("targetNamespace") or m.namespace
        have.add(f"{ns}/{spec.get('releaseName') or m.name}")
    return {r.key for r in releases if r.key in have}
