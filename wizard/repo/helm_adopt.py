"""The Flux objects that take a hand-installed Helm release over (issue 13): a HelmRepository (or an
OCIRepository for oci:// charts) and a HelmRelease, as YAML files to write.

Why helm-controller upgrades the release instead of installing a new one (helm-controller v1.6.3,
internal/reconcile/state.go and atomic_release.go): it looks the release up by
`GetReleaseName()` in `GetStorageNamespace()`; a release found there with no history in the
HelmRelease's status is "Unmanaged", and the action for Unmanaged is an upgrade (TakeOwnership on
by default). So releaseName, targetNamespace and storageNamespace are written out explicitly, never
left to their defaults (`[targetNamespace-]name` and the HelmRelease's namespace): a renamed or moved
HelmRelease would otherwise uninstall the release and install a new one. The chart version is the
installed one exactly (no range), so adopting never upgrades the chart. The upgrade resets values
to the spec (upgrade.preserveValues is false), so the spec carries the release's user values
(`helm get values`) in full: the rendered objects are the same, and they keep their UIDs.

Values that look like credentials (wizard.secrets.rules, the same key rules as the secrets scan;
token shapes) are not written into the HelmRelease: they go into a Secret that the HelmRelease reads
with valuesFrom. helm-controller merges valuesFrom first and inline values over them; the two hold
disjoint keys, so the merge gives back exactly the release's values. That Secret is plaintext unless
the caller passes `seal` (e.g. sops): it must then go through the secrets flow (S.3), which 2.5
enforces by refusing to commit a plaintext Secret.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlparse

from ..secrets.detect import TOKEN_PATTERNS
from ..secrets.rules import looks_like_credential
from .generate import HEADER, _dump
from .helm import HELM_API, SOURCE_API, source_name
from .layout import slug

ITEM = "Helm release adoption"
RELEASE_FILE = "helm-release.yaml"
VALUES_KEY = "values.yaml"
OCI_HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


@dataclass
class ValuesSplit:
    plain: dict  # what the HelmRelease may carry inline
    secret: dict = field(repr=False)  # what goes into the values Secret
    paths: list[str] = field(default_factory=list)  # dotted paths of what was moved (names only)


def _is_secret_leaf(key: str, value) -> bool:
    if looks_like_credential(key, value):
        return True
    return isinstance(value, str) and any(p.search(value) for _, p in TOKEN_PATTERNS)


def _has_secret(key: str, value) -> bool:
    if isinstance(value, dict):
        return any(_has_secret(str(k), v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_secret(key, v) for v in value)
    return _is_secret_leaf(key, value)


def split_values(config: dict, _prefix: str = "") -> ValuesSplit:
    """Split a release's values into what may be written inline and what looks like a credential.

    Maps are split key by key; a list that holds a credential anywhere moves whole (Helm's merge
    replaces lists, it cannot put a list back together from two halves)."""
    plain: dict = {}
    secret: dict = {}
    paths: list[str] = []
    for k, v in (config or {}).items():
        path = f"{_prefix}{k}"
        if isinstance(v, dict) and v:
            sub = split_values(v, path + ".")
            if sub.plain or not sub.secret:
                plain[k] = sub.plain
            if sub.secret:
                secret[k] = sub.secret
            paths += sub.paths
        elif _has_secret(str(k), v):
            secret[k] = v
            paths.append(path)
        else:
            plain[k] = v
    return ValuesSplit(plain, secret, paths)


@dataclass
class Adoption:
    """What adopting one release writes. `files` maps repo paths to YAML text; `resources` are the
    file names the folder's kustomization.yaml must list (the source's too when it is in `folder`)."""

    release_key: str
    folder: str
    files: dict[str, str] = field(repr=False)
    resources: list[str]
    release: dict = field(repr=False)
    source: dict
    secret_file: str | None = None  # the values Secret, when some values looked like credentials
    secret_plaintext: bool = False  # True: it must go through the secrets flow (S.3) before 2.5
    secret_keys: list[str] = field(default_factory=list)  # value paths moved into it (names only)
    notes: list[str] = field(default_factory=list)


def _source_name(url: str, chart: str) -> str:
    host = urlparse(url).hostname or ""
    try:
        ipaddress.ip_address(host)
        is_ip = True
    except ValueError:
        is_ip = host == "localhost"
    return slug(f"{chart}-charts")[:63] if is_ip or not host else source_name(url)


def helm_repository(name: str, namespace: str, url: str) -> dict:
    return {"apiVersion": SOURCE_API, "kind": "HelmRepository", "metadata": {"name": name, "namespace": namespace},
            "spec": {"interval": "1h", "url": url}}


def oci_repository(name: str, namespace: str, url: str, chart: str, version: str) -> dict:
    """An OCIRepository for one chart at one tag, handing helm-controller the chart layer as is."""
    chart_url = url if url.rstrip("/").rsplit("/", 1)[-1] == chart else f"{url.rstrip('/')}/{chart}"
    return {"apiVersion": SOURCE_API, "kind": "OCIRepository", "metadata": {"name": name, "namespace": namespace},
            "spec": {"interval": "1h", "url": chart_url, "ref": {"tag": version},
                     "layerSelector": {"mediaType": OCI_HELM_LAYER, "operation": "copy"}}}


def _release_doc(release, source: dict, plain: dict, secret_name: str | None) -> dict:
    ref = {"kind": source["kind"], "name": source["metadata"]["name"], "namespace": source["metadata"]["namespace"]}
    spec: dict = {"interval": "30m", "releaseName": release.name, "targetNamespace": release.namespace,
                  "storageNamespace": release.storage_namespace}
    if source["kind"] == "OCIRepository":
        spec["chartRef"] = ref
    else:
        spec["chart"] = {"spec": {"chart": release.chart, "version": release.chart_version, "sourceRef": ref,
                                  "interval": "1h"}}
    if secret_name:
        spec["valuesFrom"] = [{"kind": "Secret", "name": secret_name, "valuesKey": VALUES_KEY}]
    if plain:
        spec["values"] = plain
    return {"apiVersion": HELM_API, "kind": "HelmRelease",
            "metadata": {"name": release.name, "namespace": release.namespace}, "spec": spec}


def values_secret(name: str, namespace: str, values: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "type": "Opaque", "stringData": {VALUES_KEY: _dump(values)}}


def _release_header(release) -> str:
    return (HEADER.format(item=ITEM) +
            f"# Takes over the release {release.key} that was installed by hand ({release.chart} "
            f"{release.chart_version}, revision {release.revision}).\n"
            "# releaseName, targetNamespace and storageNamespace name that release: changing any of them makes\n"
            "# helm-controller uninstall it and install a new one. The chart version is the installed one.\n")


def flux_objects(release, repo_url: str, *, folder: str | None = None, source_folder: str | None = None,
                 source_namespace: str = "flux-system",
                 seal: Callable[[str, str], str] | None = None) -> Adoption:
    """The files that adopt `release` (a wizard.cluster.helm_releases.Release) from `repo_url`.

    `folder` is where the HelmRelease goes (default apps/<release name>); `source_folder` where the
    HelmRepository/OCIRepository goes (default: the same folder). `seal(path, plaintext) -> text`,
    when given, converts the values Secret before it is ever written (e.g. sops-encrypts it)."""
    if release.problem:
        raise ValueError(release.problem)
    folder = (folder or f"apps/{slug(release.name)}").strip("/")
    source_folder = (source_folder or folder).strip("/")
    url = repo_url.rstrip("/")
    if urlparse(url).scheme == "oci":
        name = slug(f"{release.chart}")[:63]
        source = oci_repository(name, source_namespace, url, release.chart, release.chart_version)
        source_path = f"{source_folder}/oci-repository-{name}.yaml"
    else:
        name = _source_name(url, release.chart)
        source = helm_repository(name, source_namespace, url)
        source_path = f"{source_folder}/helm-repository-{name}.yaml"
    split = split_values(release.config)
    secret_name = f"{slug(release.name)}-helm-values"[:63] if split.secret else None
    doc = _release_doc(release, source, split.plain, secret_name)
    files = {source_path: HEADER.format(item=ITEM) + _dump(source),
             f"{folder}/{RELEASE_FILE}": _release_header(release) + _dump(doc)}
    adoption = Adoption(release.key, folder, files, [], doc, source, secret_keys=split.paths)
    if secret_name:
        _add_secret(adoption, release, secret_name, split, seal)
    adoption.resources = sorted(p.rsplit("/", 1)[1] for p in files if p.rsplit("/", 1)[0] == folder)
    return adoption


def _add_secret(adoption: Adoption, release, name: str, split: ValuesSplit, seal) -> None:
    path = f"{adoption.folder}/{name}.yaml"
    text = _dump(values_secret(name, release.namespace, split.secret))
    if seal is not None:
        text = seal(path, text)
    else:
        text = (HEADER.format(item=ITEM) + "# Values of the release that look like credentials. Plaintext: the "
                "secrets flow (S.3) must\n# encrypt it before 2.5 commits (2.5 refuses plaintext Secrets).\n" + text)
    adoption.files[path] = text
    adoption.secret_file = path
    adoption.secret_plaintext = seal is None
    adoption.notes.append(
        f"values {', '.join(split.paths)} of {release.key} look like credentials: they are in the Secret {name} "
        f"({path}), which the HelmRelease reads with valuesFrom" +
        (", plaintext until the secrets flow (S.3) encrypts it" if seal is None else ""))
