"""Who owns what once Flux applies: compare git (the rendered object), the live object and the server-side
dry-run of git as kustomize-controller, field path by field path (issue 13).

What kustomize-controller v1.9.4 does on its first apply (internal/controller/kustomization_controller.go
L894-941 and fluxcd/pkg/ssa v0.76.1 patch.go, manager_apply.go), which the findings follow:
- Before it applies, its cleanup renames to `kustomize-controller` (operation Apply) every managedFields
  entry without a subresource whose manager name *starts with* `kubectl` (operation Apply or Update),
  `before-first-apply` or `kustomize-controller` (Update), or an `--override-manager` name (prefix match
  too). So `kubectl-edit`, `kubectl-patch`, `kubectl-label`, `kubectl-client-side-apply` are all taken over.
- It then applies git with force: a taken-over field that git has gets git's value; one git does not have
  is removed (it was "applied" by kustomize-controller and no longer is). A hand edit is reverted.
- Fields owned by any other manager (helm, an operator, a script's own field manager, a `kubectl scale`
  on the scale subresource …) are not taken over: when git lacks them they stay on the object for good.
- `kustomize.toolkit.fluxcd.io/ssa: Merge` on the object skips that cleanup (nothing is taken over, what
  git lacks stays), `IfNotPresent` applies it only when it does not exist, `Ignore` never applies it.
- An immutable field change fails the apply; with `kustomize.toolkit.fluxcd.io/force: enabled` (or the
  Kustomization's spec.force) the object is deleted and created again (a new UID).

Only field paths reach a finding, never values: a Secret's data is compared in memory and nowhere else.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

FIELD_MANAGER = "kustomize-controller"
SSA = "kustomize.toolkit.fluxcd.io/ssa"
FORCE = "kustomize.toolkit.fluxcd.io/force"
TAKEN_OVER = (("kubectl", "Apply"), ("kubectl", "Update"), ("before-first-apply", "Update"),
              (FIELD_MANAGER, "Update"))
# Creating an object owns every defaulted field too: those managers' fields are git's (or defaults).
CREATORS = ("kubectl-client-side-apply", "kubectl-create")
# Managers of the cluster itself and of Flux: what they set is theirs by design, not a finding.
SYSTEM = ("kube-controller-manager", "kube-scheduler", "kubelet", "kube-apiserver", "k3s", "kwok", "gotk-",
          "helm-controller", "source-controller", "notification-controller", FIELD_MANAGER)
IGNORED = {("metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration")}  # Flux removes it
HELM_LABEL, HELM_RELEASE = "app.kubernetes.io/managed-by", "meta.helm.sh/release-name"
BLOCKING = ("unprovided", "immutable", "rejected")

# Finding kinds, in the order a preview lists them.
ORDER = ("unprovided", "immutable", "rejected", "recreate", "prune", "owned", "hand-edit", "overwritten", "stays")


@dataclass
class Finding:
    kind: str  # one of ORDER
    object: str  # Kind/namespace/name, or Kind/name when cluster-scoped
    why: str
    fix: str
    fields: list[str] = field(default_factory=list)  # field paths only, never values
    manager: str = ""
    key: str = ""  # the answer that decides it (provider.<group>, keep-field.<object>)
    path: str = ""  # the Flux Kustomization that applies it

    @property
    def blocking(self) -> bool:
        return self.kind in BLOCKING

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in ("", [])}

    def line(self) -> str:
        f = f" [{', '.join(self.fields[:6])}{' …' if len(self.fields) > 6 else ''}]" if self.fields else ""
        return f"{self.kind}: {self.object}{f}: {self.why}; fix: {self.fix}"


def ref_of(doc: dict) -> str:
    md = doc.get("metadata") or {}
    ns = md.get("namespace") or ""
    return f"{doc.get('kind')}/{ns}/{md.get('name')}" if ns else f"{doc.get('kind')}/{md.get('name')}"


# -- managedFields ---------------------------------------------------------------------------------
def _segment(key: str):
    tag, rest = key[:2], key[2:]
    if tag == "k:":
        return ("k", tuple(sorted(json.loads(rest).items())))  # hashable
    if tag == "v:":
        return ("v", json.loads(rest))
    if tag == "i:":
        return ("i", int(rest))
    return rest  # f:<name>


def leaves(fields: dict | None, prefix: tuple = ()) -> set[tuple]:
    """The leaf field paths of a managedFields fieldsV1 set (each a tuple of segments)."""
    out: set[tuple] = set()
    for key, sub in (fields or {}).items():
        if key == ".":
            continue
        path = prefix + (_segment(key),)
        children = {k: v for k, v in (sub or {}).items() if k != "."}
        out |= leaves(children, path) if children else {path}
    return out


def show(path: tuple) -> str:
    out = ""
    for s in path:
        if isinstance(s, str):
            out += ("." if out else "") + s
        elif s[0] == "k":
            out += "[" + ",".join(f"{k}={v}" for k, v in s[1]) + "]"
        elif s[0] == "v":
            out += f"[={s[1]}]"
        else:
            out += f"[{s[1]}]"
    return out


_MISSING = object()


def value_at(obj, path: tuple):
    for s in path:
        if isinstance(s, str):
            obj = obj.get(s, _MISSING) if isinstance(obj, dict) else _MISSING
        elif not isinstance(obj, list):
            return _MISSING
        elif s[0] == "k":
            obj = next((x for x in obj if isinstance(x, dict) and all(x.get(k) == v for k, v in s[1])),
                       _MISSING)
        elif s[0] == "v":
            obj = s[1] if s[1] in obj else _MISSING
        else:
            obj = obj[s[1]] if s[1] < len(obj) else _MISSING
        if obj is _MISSING:
            return _MISSING
    return obj


def taken_over(entry: dict, override: tuple[str, ...] = ()) -> bool:
    if entry.get("subresource"):
        return False
    name, op = entry.get("manager") or "", entry.get("operation")
    return any(name.startswith(m) and op == o for m, o in TAKEN_OVER) or any(name.startswith(m) for m in override)


def _system(name: str) -> bool:
    return any(name.startswith(s) for s in SYSTEM)


def git_fields(dry: dict) -> set[tuple]:
    """What kustomize-controller applies: its Apply entry in the dry-run result."""
    got: set[tuple] = set()
    for e in (dry.get("metadata") or {}).get("managedFields") or []:
        if e.get("manager") == FIELD_MANAGER and e.get("operation") == "Apply" and not e.get("subresource"):
            got |= leaves(e.get("fieldsV1"))
    return got


class _Covered:
    """Whether git sets a field, a field inside it, or a field around it (an atomic map or list)."""

    def __init__(self, git: set[tuple]) -> None:
        self.git = git
        self.prefixes = {p[:i] for p in git for i in range(1, len(p) + 1)}

    def __call__(self, path: tuple) -> bool:
        return path in self.prefixes or any(path[:i] in self.git for i in range(1, len(path)))


# -- one object --------------------------------------------------------------------------------------
def compare(doc: dict, live: dict | None, dry: dict | None, error: str | None = None, *, path: str = "",
            override: tuple[str, ...] = ()) -> list[Finding]:
    """The findings for one object of git: `live` is the object on the cluster (None: Flux creates it),
    `dry` the server-side dry-run of git as kustomize-controller, `error` the dry-run's error."""
    ref = ref_of(doc)
    ann = (doc.get("metadata") or {}).get("annotations") or {}
    mode = ann.get(SSA, "")
    if live is None or mode in ("Ignore", "IfNotPresent"):
        return []  # created by Flux, or never touched by it once it exists
    if error:
        return [_error_finding(ref, doc, live, error, path)]
    out = _owner_findings(ref, live, path)
    if dry is not None:
        out += _field_findings(ref, live, dry, path, override, merge=mode == "Merge")
    return out


def _error_finding(ref: str, doc: dict, live: dict, error: str, path: str) -> Finding:
    if "field is immutable" in error or "immutable" in error.lower():
        forced = "enabled" in (((doc.get("metadata") or {}).get("annotations") or {}).get(FORCE, ""),
                               ((live.get("metadata") or {}).get("annotations") or {}).get(FORCE, ""))
        if forced:
            return Finding("recreate", ref, f"git changes an immutable field ({_short(error)}) and the object has "
                           f"{FORCE}: enabled, so Flux deletes it and creates it again (a new UID)",
                           "put the cluster's value in git to keep the object as it is", path=path)
        return Finding("immutable", ref, f"git changes an immutable field ({_short(error)}): Flux's apply fails, "
                       "and its Kustomization with it", f"put the cluster's value in git, or add the annotation "
                       f"{FORCE}: enabled to let Flux delete and recreate it (a new UID)", path=path)
    return Finding("rejected", ref, f"the API server refuses git's version: {_short(error)}",
                   "fix the manifest in git", path=path)


def _short(error: str) -> str:
    text = error.split(" is invalid: ", 1)[-1].strip()
    return text[:300]


def _owner_findings(ref: str, live: dict, path: str) -> list[Finding]:
    md = live.get("metadata") or {}
    labels, ann = md.get("labels") or {}, md.get("annotations") or {}
    out = []
    if labels.get(HELM_LABEL) == "Helm" or HELM_RELEASE in ann:
        rel = f"{ann.get('meta.helm.sh/release-namespace', md.get('namespace') or '')}/{ann.get(HELM_RELEASE, '?')}"
        out.append(Finding("owned", ref, f"Helm release {rel} made it; Helm and Flux would both own it (the next "
                           "'helm upgrade' or a HelmRelease fails with 'invalid ownership metadata', or undoes Flux)",
                           f"adopt the Helm release {rel} first (a HelmRelease that takes the release over), then "
                           "drop this object from git", manager="helm", path=path))
    for o in md.get("ownerReferences") or []:
        if o.get("controller"):
            out.append(Finding("owned", ref, f"{o.get('kind')} {o.get('name')} controls it (ownerReferences); "
                               "that controller rewrites what Flux applies, and deleting the owner deletes it",
                               f"leave it to {o.get('kind')} {o.get('name')}: drop it from git (or annotate it "
                               f"{SSA}: IfNotPresent)", path=path))
    return out


def _field_findings(ref: str, live: dict, dry: dict, path: str, override: tuple[str, ...],
                    merge: bool) -> list[Finding]:
    covered = _Covered(git_fields(dry))
    key = f"keep-field.{ref}"
    out = []
    for e in (live.get("metadata") or {}).get("managedFields") or []:
        name = e.get("manager") or "?"
        if e.get("subresource") or _system(name) or name in CREATORS:
            continue
        mine = leaves(e.get("fieldsV1")) - IGNORED
        changed = sorted(show(p) for p in mine if covered(p) and value_at(live, p) != value_at(dry, p))
        absent = sorted(show(p) for p in mine if not covered(p))
        if taken_over(e, override) and not merge:
            if changed or absent:
                out.append(Finding("hand-edit", ref, _hand_edit_why(name, changed, absent), _HAND_FIX.format(key=key),
                                   changed + absent, name, key, path))
            continue
        if changed:
            out.append(Finding("overwritten", ref, f"{name} set these fields and git has other values: Flux applies "
                               "git's values with force (and that manager may set them back)",
                               f"put the cluster's values in git, or stop {name} from setting them",
                               changed, name, key, path))
        if absent:
            out.append(Finding("stays", ref, _stays_why(name, merge), _STAYS_FIX.format(key=key, name=name),
                               absent, name, key, path))
    return out


_HAND_FIX = ("put the fields in git to keep them (answer {key}=git once they are), or annotate the object "
             f"{SSA}: Merge so Flux leaves fields git lacks, or let Flux revert them (answer {{key}}=accept)")
_STAYS_FIX = ("put the fields in git so Flux owns them, or let kustomize-controller take {name} over "
              "(its --override-manager={name} flag, a patch of the flux-system kustomization), "
              "or keep them as they are (answer {key}=accept)")


def _hand_edit_why(name: str, changed: list[str], absent: list[str]) -> str:
    parts = []
    if changed:
        parts.append(f"{len(changed)} go back to git's value")
    if absent:
        parts.append(f"{len(absent)} git does not have are removed")
    return (f"changed on the cluster by {name}; kustomize-controller takes over every manager whose name starts "
            f"with 'kubectl', so the edit is undone: {' and '.join(parts)}")


def _stays_why(name: str, merge: bool) -> str:
    if merge:
        return f"set by {name}; the object has {SSA}: Merge, so Flux takes no manager over and the fields stay"
    return (f"set by {name}, a manager kustomize-controller does not take over (it takes only names starting with "
            "'kubectl' or 'before-first-apply'); git does not have them, so they stay on the cluster")


def prune_findings(kustomization: dict, rendered: list[dict]) -> list[Finding]:
    """Objects a live Kustomization applied that its path no longer renders: with prune on, Flux deletes them."""
    spec = kustomization.get("spec") or {}
    if not spec.get("prune"):
        return []
    name = kustomization["metadata"]["name"]
    now = {(_group(d), d.get("kind"), (d.get("metadata") or {}).get("namespace") or "",
            (d.get("metadata") or {}).get("name")) for d in rendered}
    out = []
    for e in ((kustomization.get("status") or {}).get("inventory") or {}).get("entries") or []:
        ns, rest = e["id"].split("_", 1)
        nm, group, kind = rest.rsplit("_", 2)
        if (group, kind, ns, nm) not in now:
            ref = f"{kind}/{ns}/{nm}" if ns else f"{kind}/{nm}"
            out.append(Finding("prune", ref, f"Flux Kustomization {name} applied it and its path no longer renders "
                               "it (moved or renamed?): with prune on, Flux deletes it",
                               "render it at the same Kustomization (or keep its old path), or label it "
                               "kustomize.toolkit.fluxcd.io/prune: disabled", path=name))
    return out


def _group(doc: dict) -> str:
    av = doc.get("apiVersion") or ""
    return av.split("/", 1)[0] if "/" in av else ""


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (ORDER.index(f.kind), f.object))


def counts(findings: list[Finding]) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in findings:
        out[f.kind] = out.get(f.kind, 0) + 1
    return out
