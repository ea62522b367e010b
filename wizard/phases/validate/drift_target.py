"""The object 4.3 and 4.4 change by hand to prove that Flux sees drift and reverts it."""
from __future__ import annotations

import json
from ...flux.status import (NS, get_or_none, inventory_keys)
from ...repo import canary
from ...checklist import Question
from ...session import NeedsAnswers
from .common import FLUX_MANAGER, kustomizations


# -- 4.3 / 4.4 ------------------------------------------------------------------------------------
def _owner_ks(obj: dict) -> tuple[str, str] | None:
    labels = obj.get("metadata", {}).get("labels") or {}
    name, ns = labels.get("kustomize.toolkit.fluxcd.io/name"), labels.get("kustomize.toolkit.fluxcd.io/namespace")
    return (ns, name) if name and ns else None


def _owned_by_flux(obj: dict, field: list[str]) -> bool:
    """True when kustomize-controller owns the field (so Git defines it and Flux will correct it)."""
    for m in obj.get("metadata", {}).get("managedFields") or []:
        if m.get("manager") == FLUX_MANAGER:
            f = m.get("fieldsV1") or {}
            if field[0] == "data" and f"f:{field[1]}" in (f.get("f:data") or {}):
                return True
            if field[0] == "labels" and f"f:{field[1]}" in ((f.get("f:metadata") or {}).get("f:labels") or {}):
                return True
    return False


def _resource(kind: str) -> str:
    return "configmap" if kind == "ConfigMap" else "deployment.apps"


def _candidates(session) -> list[tuple]:
    """(rank, key, Kustomization) for every ConfigMap and Deployment outside flux-system in the inventory
    of a Kustomization that is not suspended (a suspended one would never revert the drift); ConfigMaps first."""
    candidates = []
    for ks in kustomizations(session):
        if (ks.get("spec") or {}).get("suspend") or ks["metadata"]["name"] == "flux-system":
            continue
        for k in inventory_keys(ks):
            if k.namespace and k.namespace != NS and (k.kind, k.group) in (("ConfigMap", ""), ("Deployment", "apps")):
                candidates.append((0 if k.kind == "ConfigMap" else 1, k, ks))
    candidates.sort(key=lambda c: (c[0], str(c[1])))
    return candidates


def _fields(obj: dict, kind: str, wanted: str | None) -> list[list[str]]:
    """The fields of `obj` that could be changed: the key named in drift-target (or every data key) of a
    ConfigMap, or a Deployment's labels other than the ones Flux itself sets."""
    if kind == "ConfigMap":
        keys = [wanted.split(":", 1)[1]] if wanted and ":" in wanted else sorted((obj.get("data") or {}))
        return [["data", key] for key in keys if key in (obj.get("data") or {})]
    labels = obj["metadata"].get("labels") or {}
    return [["labels", lk] for lk in sorted(labels) if not lk.startswith("kustomize.toolkit.fluxcd.io/")]


def _target(k, ks: dict, obj: dict, f: list[str]) -> dict:
    value = (obj.get("data") if f[0] == "data" else obj["metadata"]["labels"])[f[1]]
    return {"kind": k.kind, "resource": _resource(k.kind),
            "namespace": k.namespace, "name": k.name, "field": f, "git_value": value,
            "kustomization": [ks["metadata"]["namespace"], ks["metadata"]["name"]],
            "ks_path": (ks.get("spec") or {}).get("path")}


def _canary(session) -> dict | None:
    """The wizard's drift canary (2.4 writes it into a Flux path), when Flux applies it and owns its key."""
    for ks in kustomizations(session):
        if (ks.get("spec") or {}).get("suspend") or ks["metadata"]["name"] == "flux-system":
            continue
        for k in inventory_keys(ks):
            if (k.kind, k.group, k.namespace, k.name) == ("ConfigMap", "", canary.NAMESPACE, canary.NAME):
                obj = get_or_none(session.kubectl, "configmap", "-n", k.namespace, k.name, "--show-managed-fields")
                f = ["data", canary.KEY]
                if obj is not None and f[1] in (obj.get("data") or {}) and _owned_by_flux(obj, f):
                    return _target(k, ks, obj, f)
    return None


def _chosen(session, wanted: str) -> dict | None:
    """The object the user named with drift-target (Kind/namespace/name[:key]), if Git defines the field."""
    for _, k, ks in _candidates(session):
        if wanted.split(":")[0] != f"{k.kind}/{k.namespace}/{k.name}":
            continue
        obj = get_or_none(session.kubectl, _resource(k.kind), "-n", k.namespace, k.name, "--show-managed-fields")
        for f in _fields(obj or {"metadata": {}}, k.kind, wanted) if obj else []:
            if _owned_by_flux(obj, f):
                return _target(k, ks, obj, f)
    return None


def pick_target(session) -> dict:
    """The wizard's own drift canary; another object only when the user names it (drift-target), and
    never one the user did not choose (4.3 once edited kube-system/coredns-custom on its own)."""
    wanted = session.answers.get("drift-target")
    t = _chosen(session, wanted) if wanted else _canary(session)
    if t is not None:
        return t
    offered = [f"{k.kind}/{k.namespace}/{k.name}" for _, k, _ in _candidates(session) if k.namespace != "kube-system"]
    why = (f"drift-target={wanted} is not a ConfigMap key or Deployment label that Git defines and Flux applies"
           if wanted else f"the wizard's drift canary (ConfigMap {canary.NAMESPACE}/{canary.NAME}) is not applied by "
                          "any Kustomization that is not suspended: run 2.4 repo.flux-manifests and 2.5 again to add "
                          "it, or choose one of your objects for 4.3 to change by hand (Flux puts it back at 4.4)")
    if not offered:
        raise NeedsAnswers(f"found no safe drift target: {why}. Name one with the answer "
                           "drift-target=ConfigMap/<ns>/<name>:<key> or Deployment/<ns>/<name>",
                           [Question("drift-target", "The object 4.3 changes by hand (ConfigMap/<ns>/<name>:<key> or "
                                                     "Deployment/<ns>/<name>)")])
    raise NeedsAnswers(f"found no safe drift target: {why}",
                       [Question("drift-target", "Which of your objects may 4.3 change by hand? (Flux reverts it at 4.4)",
                                 [(o, o) for o in dict.fromkeys(offered)][:20])])


def target_str(t: dict) -> str:
    where = f"data.{t['field'][1]}" if t["field"][0] == "data" else f"metadata.labels[{t['field'][1]}]"
    return f"{t['kind']} {t['namespace']}/{t['name']} {where}"


def drift_patch(t: dict, value: str) -> str:
    if t["field"][0] == "data":
        return json.dumps({"data": {t["field"][1]: value}})
    return json.dumps({"metadata": {"labels": {t["field"][1]: value}}})


def live_value(session, t: dict) -> tuple[bool, str | None]:
    """(exists, value of the target field)."""
    obj = get_or_none(session.kubectl, t["resource"], "-n", t["namespace"], t["name"])
    if obj is None:
        return False, None
    src = obj.get("data") if t["field"][0] == "data" else obj["metadata"].get("labels")
    return True, (src or {}).get(t["field"][1])


def flux_diff(session, t: dict) -> dict:
    """`flux diff kustomization` against the clone (at the pushed commit): exit 1 means drift."""
    ns, name = t["kustomization"]
    path = session.repo / (t.get("ks_path") or ".").lstrip("./")
    res = session.flux.run("diff", "kustomization", name, "-n", ns, "--path", str(path),
                           ok_codes=tuple(range(256)), timeout=120)
    return {"command": res.command, "exit_code": res.exit_code, "output": (res.shown_stdout + res.stderr)[-1500:]}
