"""The mechanical rewrites of objects in removed API versions to their successors.

Each rewrite changes a document in place and works on plain dicts (what the checks compare) and
on ruamel's round-trip maps alike (what is written back, comments kept): new keys go where a
person would write them, and a renamed key keeps its place. A document that needs a decision the
owner must make (no pod labels to select, a PodDisruptionBudget whose empty selector would start
to match every pod) raises NotMechanical, saying why.
"""
from __future__ import annotations

import copy

from .removed_apis import HPA, INGRESS, PDB, REMOVED, VERSION, WORKLOAD


class NotMechanical(Exception):
    """The rewrite would change what the object means, or needs a value only the owner knows."""


def _new_map(like, items: dict):
    """A mapping of the same type as `like` (a ruamel map in a round-trip edit) holding `items`."""
    m = type(like)()
    m.update(items)
    return m


def _insert_before(d, key: str, value, before: str) -> None:
    """Set d[key] just before `before` (at the end when it is absent), keeping the order a person reads."""
    if before not in d:
        d[key] = value
    elif hasattr(d, "insert"):  # ruamel's map: its comments stay where they are
        d.insert(list(d.keys()).index(before), key, value)
    else:
        items = list(d.items())
        d.clear()
        for k, v in items:
            if k == before:
                d[key] = value
            d[k] = v


def _rename(d, old: str, new: str) -> None:
    value = d[old]
    _insert_before(d, new, value, old)
    del d[old]


def _spec(doc) -> dict:
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        raise NotMechanical("it has no spec")
    return spec


# -- apps/v1 workloads --------------------------------------------------------------------------------
def _workload(doc) -> None:
    """apps/v1 requires spec.selector (the old versions defaulted it to the pod template's labels)."""
    spec = _spec(doc)
    gone = [f for f in ("rollbackTo", "templateGeneration") if f in spec]
    if gone:
        raise NotMechanical(f"spec.{gone[0]} does not exist in apps/v1; remove it by hand")
    if spec.get("selector") is not None:
        return
    template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    labels = (template.get("metadata") or {}).get("labels") if isinstance(template.get("metadata"), dict) else None
    if not isinstance(labels, dict) or not labels:
        raise NotMechanical("apps/v1 needs spec.selector, and the pod template has no labels to take it from")
    _insert_before(spec, "selector", _new_map(spec, {"matchLabels": _new_map(labels, labels)}), "template")


# -- networking.k8s.io/v1 Ingress ----------------------------------------------------------------------
def _backend(b, where: str) -> None:
    """serviceName/servicePort -> service: {name, port: {number|name}} (a resource backend stays)."""
    if not isinstance(b, dict):
        raise NotMechanical(f"{where} is not a mapping")
    if set(b) == {"resource"}:
        return
    if set(b) != {"serviceName", "servicePort"}:
        raise NotMechanical(f"{where} holds {', '.join(sorted(map(str, b)))}, not serviceName and servicePort")
    port = b["servicePort"]
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    number_or_name = {"number": port} if isinstance(port, int) and not isinstance(port, bool) else {"name": port}
    service = _new_map(b, {"name": b["serviceName"], "port": _new_map(b, number_or_name)})
    _insert_before(b, "service", service, "serviceName")
    del b["serviceName"], b["servicePort"]


def _ingress(doc) -> None:
    spec = _spec(doc)
    if "backend" in spec:
        _rename(spec, "backend", "defaultBackend")
    if "defaultBackend" in spec:
        _backend(spec["defaultBackend"], "spec.backend")
    for i, rule in enumerate(spec.get("rules") or []):
        paths = ((rule or {}).get("http") or {}).get("paths") or [] if isinstance(rule, dict) else []
        for j, p in enumerate(paths):
            where = f"spec.rules[{i}].http.paths[{j}]"
            if not isinstance(p, dict) or "backend" not in p:
                raise NotMechanical(f"{where} has no backend")
            _backend(p["backend"], f"{where}.backend")
            if "pathType" not in p:  # v1 requires it; ImplementationSpecific is how v1beta1 matched
                _insert_before(p, "pathType", "ImplementationSpecific", "backend")


# -- autoscaling/v2 HorizontalPodAutoscaler ---------------------------------------------------------------
def _target(m, value_key: str | None, average_key: str | None, utilization_key: str | None, where: str):
    """The v2 target of a v2beta1 metric source, from whichever of its target fields it sets."""
    found = [(t, k) for t, k in (("Value", value_key), ("AverageValue", average_key), ("Utilization", utilization_key))
             if k and k in m]
    if len(found) != 1:
        raise NotMechanical(f"{where} sets {len(found)} targets; v2 takes exactly one")
    kind, key = found[0]
    field = {"Value": "value", "AverageValue": "averageValue", "Utilization": "averageUtilization"}[kind]
    return _new_map(m, {"type": kind, field: m[key]})


def _metric(m, name_key: str, selector_key: str | None):
    items = {"name": m[name_key]}
    if selector_key and selector_key in m:
        items["selector"] = m[selector_key]
    return _new_map(m, items)


# source -> (fields it may hold, how its v2 form is built)
_SOURCES = {
    "resource": ({"name", "targetAverageUtilization", "targetAverageValue"},
                 lambda m, w: {"name": m["name"],
                               "target": _target(m, None, "targetAverageValue", "targetAverageUtilization", w)}),
    "pods": ({"metricName", "targetAverageValue", "selector"},
             lambda m, w: {"metric": _metric(m, "metricName", "selector"),
                           "target": _target(m, None, "targetAverageValue", None, w)}),
    "object": ({"target", "metricName", "targetValue", "averageValue", "selector"},
               lambda m, w: {"describedObject": m["target"], "metric": _metric(m, "metricName", "selector"),
                             "target": _target(m, "targetValue", "averageValue", None, w)}),
    "external": ({"metricName", "metricSelector", "targetValue", "targetAverageValue"},
                 lambda m, w: {"metric": _metric(m, "metricName", "metricSelector"),
                               "target": _target(m, "targetValue", "targetAverageValue", None, w)}),
}


def _hpa(doc) -> None:
    """autoscaling/v2beta1 metrics: targetAverageUtilization & co. become a `target` of a type."""
    for i, metric in enumerate(_spec(doc).get("metrics") or []):
        where = f"spec.metrics[{i}]"
        source = str((metric or {}).get("type", "")).lower() if isinstance(metric, dict) else ""
        if source not in _SOURCES or not isinstance(metric.get(source), dict):
            raise NotMechanical(f"{where} is not a Resource, Pods, Object or External metric")
        allowed, build = _SOURCES[source]
        m = metric[source]
        if not set(m) <= allowed or ("metricName" in allowed and "metricName" not in m) or (
                source == "resource" and "name" not in m):
            raise NotMechanical(f"{where}.{source} holds {', '.join(sorted(map(str, set(m) - allowed))) or 'no name'}")
        metric[source] = _new_map(m, build(m, f"{where}.{source}"))


# -- policy/v1 PodDisruptionBudget ---------------------------------------------------------------------------
def _pdb(doc) -> None:
    sel = _spec(doc).get("selector")
    if isinstance(sel, dict) and not sel.get("matchLabels") and not sel.get("matchExpressions"):
        raise NotMechanical("its selector is empty, which policy/v1beta1 read as no pods and policy/v1 reads as "
                            "every pod in the namespace; write the selector you mean")


REWRITES = {VERSION: lambda doc: None, WORKLOAD: _workload, INGRESS: _ingress, HPA: _hpa, PDB: _pdb}


def rewrite(doc) -> None:
    """Rewrite `doc` (a removed apiVersion the table knows a mechanical rewrite for) to its successor."""
    r = REMOVED.get((doc.get("apiVersion"), doc.get("kind")))
    if r is None or r.rewrite is None or r.successor is None:
        raise NotMechanical(f"{doc.get('apiVersion')} {doc.get('kind')} has no mechanical rewrite")
    REWRITES[r.rewrite](doc)
    doc["apiVersion"] = r.successor


def rewrite_problem(doc) -> str | None:
    """Why `doc` cannot be rewritten mechanically, or None when it can."""
    try:
        rewrite(copy.deepcopy(doc))
    except NotMechanical as e:
        return str(e)
    return None
