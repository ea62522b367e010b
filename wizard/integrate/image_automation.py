"""5.3 image automation: ImageRepository, ImagePolicy, ImageUpdateAutomation and setter markers.

For the Deployments chosen with `--set image-automation=<ns>/<deployment>[,...]` the repo gets

    infrastructure/image-automation/{kustomization,repositories,policies,automation}.yaml
    clusters/<name>/image-automation.yaml   (a Flux Kustomization for that folder)

(image.toolkit.fluxcd.io/v1, in flux-system) and the image line of the first container of each
Deployment gets the setter marker `# {"$imagepolicy": "flux-system:NAME"}`. The marker is the
only change to the manifest: ruamel.yaml (round-trip) locates the `image:` value and reads back
the comment, the line itself is edited in place so quotes, indentation, other comments and the
rest of the file stay byte for byte; the result must parse to the same data as before.

The image controllers are not part of a default `flux bootstrap`: they need
`--components-extra=image-reflector-controller,image-automation-controller`. Without their CRDs
the cluster would refuse the objects (the item is blocked, with the exact flag); with the CRDs but
without the controllers running, the objects are accepted and nothing updates images: the
verdict says so in its message and evidence.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import yaml

from ..session import UsageError, WizardError

API = "image.toolkit.fluxcd.io/v1"
NS = "flux-system"
FOLDER = "infrastructure/image-automation"
AUTOMATION = "homelab-images"
COMPONENTS = "image-reflector-controller,image-automation-controller"
CONTROLLERS = ("image-reflector-controller", "image-automation-controller")
CRDS = ("imagerepositories.image.toolkit.fluxcd.io", "imagepolicies.image.toolkit.fluxcd.io",
        "imageupdateautomations.image.toolkit.fluxcd.io")
BOOL_ANSWERS = ("true", "false", "")  # bootstrap.run's `image-automation` question shares the key

_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class MarkerError(WizardError):
    pass


def marker(name: str) -> str:
    return json.dumps({"$imagepolicy": f"{NS}:{name}"})


# -- answers ----------------------------------------------------------------------------------------
def chosen(answer: str | None) -> list[tuple[str, str]]:
    """[(namespace, deployment)] from `--set image-automation=ns/name,ns/name` ([] when unset)."""
    raw = (answer or "").strip()
    if raw in BOOL_ANSWERS or raw == "skip":
        return []
    out = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        if part.count("/") != 1 or not all(part.split("/")):
            raise UsageError(f"answer image-automation={raw}: {part!r} is not <namespace>/<deployment> "
                             "(for example answer image-automation=apps/podinfo,apps/web), or 'skip'.")
        ns, name = part.split("/")
        if (ns, name) not in out:
            out.append((ns, name))
    return out


def policy_spec(answer: str | None) -> dict:
    """`semver:<range>` or `regex:<pattern>` (tags matching it, newest by alphabetical order)."""
    raw = (answer or "semver:>=0.0.0").strip()
    kind, _, val = raw.partition(":")
    if kind == "semver" and val.strip():
        return {"policy": {"semver": {"range": val.strip()}}}
    if kind == "regex" and val.strip():
        try:
            re.compile(val)
        except re.error as e:
            raise UsageError(f"answer image-policy={raw}: the regex does not compile: {e}") from None
        return {"filterTags": {"pattern": val}, "policy": {"alphabetical": {"order": "asc"}}}
    raise UsageError(f"answer image-policy={raw!r}: use semver:<range> (e.g. semver:>=1.0.0) or regex:<pattern> "
                     "(e.g. regex:^v?[0-9.]+$).")


def object_name(ns: str, name: str) -> str:
    s = re.sub(r"[^a-z0-9-]+", "-", f"{ns}-{name}".lower()).strip("-")
    return s[:63].rstrip("-")


def image_repository(image: str) -> str:
    """`ghcr.io/x/y` from `ghcr.io/x/y:1.2@sha256:…` (a registry port is not a tag)."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return ref[: len(ref) - len(last)] + last.split(":", 1)[0]


# -- the Deployments --------------------------------------------------------------------------------
@dataclass
class Target:
    namespace: str
    deployment: str
    path: str
    line: int  # 1-based line of the image value
    image: str
    container: str
    name: str  # ImageRepository/ImagePolicy name
    index: int = 0  # the Deployment's document in its file

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def find_targets(session, wanted: list[tuple[str, str]]) -> list[Target]:
    from ..repo.scan import scan

    result = scan(session.repo)
    deps = [m for m in result.manifests if m.kind == "Deployment"]
    out = []
    for ns, name in wanted:
        m = _one_deployment(deps, ns, name)
        c = _first_container(result, m, ns, name)
        line = locate_image_line(session.repo / m.path, m.index, m.where, name)
        out.append(Target(ns, name, m.path, line, str(c["image"]), str(c.get("name", "")), object_name(ns, name),
                          m.index))
    return out


def _one_deployment(deps: list, ns: str, name: str):
    """The one Deployment `ns/name` (one without a namespace counts too); UsageError when none or several."""
    hits = [m for m in deps if m.name == name and m.namespace == ns] or \
           [m for m in deps if m.name == name and not m.namespace]
    if len(hits) != 1:
        known = ", ".join(sorted(f"{m.namespace or '?'}/{m.name}" for m in deps)[:20]) or "none"
        why = "is not in the repo" if not hits else "is defined more than once (" + \
            ", ".join(m.where for m in hits) + ")"
        raise UsageError(f"Deployment {ns}/{name} {why}; Deployments found: {known}.")
    return hits[0]


def _first_container(result, m, ns: str, name: str) -> dict:
    """The Deployment's first container, which gets the marker; MarkerError when its file cannot take one."""
    info = result.files.get(m.path)
    if info is not None and info.sops:
        raise MarkerError(f"{m.where}: Deployment {ns}/{name} is in a SOPS-encrypted file; the wizard never "
                          "rewrites encrypted files. Move the Deployment to a plain file first.")
    containers = (((m.doc.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    if not containers or not isinstance(containers[0], dict) or not containers[0].get("image"):
        raise MarkerError(f"{m.where}: Deployment {ns}/{name} has no container image to automate.")
    return containers[0]


def _rt_docs(text: str):
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    return list(y.load_all(text))


def _container(docs, index: int, dep: str | None = None):
    """The first container of the Deployment `dep` (by name; document `index` when ambiguous)."""
    named = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Deployment"
             and (d.get("metadata") or {}).get("name") == dep]
    doc = named[0] if len(named) == 1 else docs[index]
    return doc["spec"]["template"]["spec"]["containers"][0]


def locate_image_line(path, index: int, where: str, dep: str | None = None) -> int:
    """The 1-based line of the first container's `image:` value in document `index` (ruamel)."""
    try:
        c = _container(_rt_docs(path.read_text()), index, dep)
        line, _col = c.lc.value("image")
    except Exception as e:  # noqa: BLE001 - anything ruamel cannot map is reported with the file
        raise MarkerError(f"{where}: cannot locate the image line of the Deployment ({e}); add the marker by hand: "
                          "image: <image> # {\"$imagepolicy\": \"flux-system:<name>\"}") from None
    return line + 1


def _value_end(line: str, col: int) -> int:
    rest = line[col:]
    if rest[:1] in ("'", '"'):
        q = rest[0]
        i = 1
        while i < len(rest):
            if rest[i] == q and not (q == '"' and rest[i - 1] == "\\"):
                if q == "'" and rest[i + 1: i + 2] == "'":
                    i += 2
                    continue
                return col + i + 1
            i += 1
        return len(line)
    m = re.search(r"\s#", rest)
    return col + (m.start() if m else len(rest.rstrip()))


def read_marker(text: str, index: int, dep: str | None = None) -> str | None:
    """The `{"$imagepolicy": …}` comment on the image line, as ruamel reads it (None when there is none)."""
    c = _container(_rt_docs(text), index, dep)
    tok = c.ca.items.get("image")
    com = tok[2] if tok and len(tok) > 2 and tok[2] is not None else None
    if com is None:
        return None
    first = com.value.split("\n", 1)[0].strip()
    return first[1:].strip() if first.startswith("#") else None


def add_marker(text: str, index: int, name: str, where: str, dep: str | None = None) -> str:
    """`text` with the setter marker for policy `name` on document `index`'s image line."""
    c = _container(_rt_docs(text), index, dep)
    line_no, col = c.lc.value("image")
    lines = text.splitlines(True)
    line = lines[line_no]
    eol = line[len(line.rstrip("\r\n")):]
    body = line[: len(line) - len(eol)]
    end = _value_end(body, col)
    comment = body[end:].strip()
    want = marker(name)
    if comment:
        try:
            existing = json.loads(comment.lstrip("#").strip())
        except ValueError:
            existing = None
        if not (isinstance(existing, dict) and "$imagepolicy" in existing):
            raise MarkerError(f"{where}: the image line already has a comment ({comment}); the setter marker must be "
                              f"the only comment there. Move that comment to its own line, then run again.")
        if existing == {"$imagepolicy": f"{NS}:{name}"}:
            return text
    lines[line_no] = body[:end] + " # " + want + eol
    new = "".join(lines)
    if list(yaml.load_all(new, Loader=_SAFE)) != list(yaml.load_all(text, Loader=_SAFE)) or \
            read_marker(new, index, dep) != want:
        raise MarkerError(f"{where}: adding the setter marker would change more than the comment; the file was left "
                          f"untouched. Add it by hand: image: <image> # {want}")
    return new


# -- the generated objects --------------------------------------------------------------------------
def repository_doc(t: Target) -> dict:
    return {"apiVersion": API, "kind": "ImageRepository", "metadata": {"name": t.name, "namespace": NS},
            "spec": {"image": image_repository(t.image), "interval": "5m"}}


def policy_doc(t: Target, spec: dict) -> dict:
    return {"apiVersion": API, "kind": "ImagePolicy", "metadata": {"name": t.name, "namespace": NS},
            "spec": {"imageRepositoryRef": {"name": t.name}, **spec}}


def automation_doc(branch: str) -> dict:
    return {"apiVersion": API, "kind": "ImageUpdateAutomation", "metadata": {"name": AUTOMATION, "namespace": NS},
            "spec": {"interval": "30m", "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                     "git": {"checkout": {"ref": {"branch": branch}},
                             "commit": {"author": {"name": "fluxcdbot", "email": "fluxcdbot@users.noreply.github.com"},
                                        "messageTemplate": "chore(images): update images (Flux image automation)"},
                             "push": {"branch": branch}},
                     "update": {"path": "./", "strategy": "Setters"}}}


def flux_ks() -> dict:
    return {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "image-automation", "namespace": NS},
            "spec": {"interval": "10m", "retryInterval": "1m", "timeout": "2m", "path": "./" + FOLDER, "prune": True,
                     "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}}


def objects(targets: list[Target], spec: dict, branch: str) -> list[dict]:
    return [*(repository_doc(t) for t in targets), *(policy_doc(t, spec) for t in targets), automation_doc(branch)]


def repo_files(targets: list[Target], spec: dict, branch: str, cluster: str) -> dict[str, str]:
    from ..repo.generate import HEADER, _dump

    def gen(docs):
        return HEADER.format(item="5.3 integrate.image-automation") + "".join("---\n" + _dump(d) for d in docs)

    kust = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "resources": ["repositories.yaml", "policies.yaml", "automation.yaml"]}
    return {
        f"{FOLDER}/repositories.yaml": gen([repository_doc(t) for t in targets]),
        f"{FOLDER}/policies.yaml": gen([policy_doc(t, spec) for t in targets]),
        f"{FOLDER}/automation.yaml": gen([automation_doc(branch)]),
        f"{FOLDER}/kustomization.yaml": gen([kust]),
        f"clusters/{cluster}/image-automation.yaml": gen([flux_ks()]),
    }


def bootstrap_hint(session) -> str:
    cluster = session.answers.get("cluster", "homelab")
    return (f"the image controllers are not installed: flux bootstrap needs --components-extra={COMPONENTS}. Re-run "
            f"bootstrap with them: run 3.2 bootstrap.run with the answer image-automation=true and the answer "
            f"existing-bootstrap=rerun (it runs flux bootstrap … --path=clusters/{cluster} "
            f"--components-extra={COMPONENTS}; bootstrap is idempotent), then run integrate.image-automation again "
            f"with the answer image-automation=<namespace>/<deployment>.")


# -- the cluster ------------------------------------------------------------------------------------
def controllers(session) -> dict:
    """Which image CRDs are Established and which image controllers run in flux-system (live)."""
    from ..runner import ToolError
    from ..session import Blocked

    try:
        crds = session.kubectl.run("get", "crd", *CRDS, "--ignore-not-found", "-o", "json", timeout=30)
        deps = session.kubectl.run("get", "deployment", *CONTROLLERS, "-n", NS, "--ignore-not-found", "-o", "json",
                                   timeout=30)
    except ToolError as e:
        raise Blocked(f"cannot read the image CRDs and controllers from the cluster: {e}") from None

    def items(res):
        if not res.stdout.strip():
            return []
        data = json.loads(res.stdout)
        return data.get("items", [data]) if data.get("kind") == "List" or "items" in data else [data]

    def cond(o, t):
        return any(c.get("type") == t and c.get("status") == "True" for c in (o.get("status") or {}).get("conditions") or [])

    crd = {n: False for n in CRDS}
    for o in items(crds):
        crd[o["metadata"]["name"]] = cond(o, "Established")
    dep = {n: "not installed" for n in CONTROLLERS}
    for o in items(deps):
        st = o.get("status") or {}
        dep[o["metadata"]["name"]] = "Available" if cond(o, "Available") and st.get("readyReplicas") else \
            f"not available ({st.get('readyReplicas') or 0}/{(o.get('spec') or {}).get('replicas', 1)} ready)"
    return {"crds": crd, "controllers": dep, "crds_ok": all(crd.values()),
            "running": all(v == "Available" for v in dep.values())}


def server_dry_run(session, docs: list[dict]) -> tuple[bool, str]:
    """`kubectl apply --server-side --dry-run=server` of the objects: does the API server accept them?"""
    from ..repo.generate import _dump
    from ..runner import ToolError, ToolFailed

    text = "".join("---\n" + _dump(d) for d in docs)
    try:
        res = session.kubectl.run("apply", "--server-side", "--dry-run=server", "--field-manager=homelab-wizard",
                                  "-f", "-", stdin=text, timeout=60)
    except ToolFailed as e:
        return False, (e.stderr or e.stdout or str(e)).strip()
    except ToolError as e:
        return False, str(e)
    return True, res.shown_stdout.strip()  # shown to people, not parsed


def bootstrap_had_extras(session) -> dict:
    """What the state and the repo say about --components-extra at bootstrap (the live check decides)."""
    cluster = session.answers.get("cluster", "homelab")
    gotk = session.repo / f"clusters/{cluster}/flux-system/gotk-components.yaml"
    text = gotk.read_text() if gotk.is_file() else ""
    ans = str(session.answers.get("image-automation", ""))
    return {"answer_image_automation": ans if ans in ("true", "false") else "(replaced by the Deployment list)",
            f"clusters/{cluster}/flux-system/gotk-components.yaml":
                "missing" if not text else ("has the image controllers" if "image-automation-controller" in text
                                            else "no image controllers")}
