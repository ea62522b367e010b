"""What kustomize-controller's server-side apply refuses in manifests that `kubectl apply` took, and
the mechanical repair of each.

Client-side `kubectl apply` lets two shapes through that server-side apply (Flux's way) refuses with
"failed to create typed patch object":
- a field the schema does not declare (`volumeMounts[].defaultMode`): the API server dropped it on
  the owner's apply, so removing it from the manifest leaves the live object as it is;
- a list entry repeated under its merge key (`ports` with the same containerPort and protocol twice):
  the repair keeps the first entry and drops the repeats.

A field path as the API server prints it: `.spec.template.spec.containers[name="grafana"].ports`,
a list entry chosen by its key fields in brackets.
"""
from __future__ import annotations

import json
import re

# (ns/name; apps/v1, Kind=Deployment): .spec...: field not declared in schema
_TYPED = re.compile(r'failed to create typed patch object \(([^/;]*)/?([^;]*); [^,]+, Kind=(\w+)\): (\S+): (.+)$')
_DUPLICATE = re.compile(r'duplicate entries for key \[(.*)\]')
_SEGMENT = re.compile(r'\.([^.\[]+)|\[([^\]]*)\]')


def parse_typed_patch_error(line: str) -> tuple[str, str, dict] | None:
    """(kind, name, repair) from one line (repair["namespace"]: the object's, "" when cluster-scoped) of the API server's answer, or None when it is not a
    typed-patch refusal the wizard can repair. `repair` is {"op", "path", "why"} (+ "key" for repeats)."""
    m = _TYPED.search(line)
    if not m:
        return None
    ns, name, kind, path, why = m.groups()
    if not name:  # cluster-scoped objects print only their name
        ns, name = "", ns
    if why.strip() == "field not declared in schema":
        return kind, name, {"op": "drop-field", "path": path, "why": f"{path}: field not declared in schema",
                            "namespace": ns}
    dup = _DUPLICATE.search(why)
    if dup:
        return kind, name, {"op": "dedupe", "path": path, "key": _selector(dup.group(1)),
                            "why": f"{path}: repeated entry [{dup.group(1)}]", "namespace": ns}
    return None


def _selector(text: str) -> dict[str, str]:
    """`containerPort=3000,protocol="TCP"` -> {"containerPort": "3000", "protocol": "TCP"}."""
    out = {}
    for part in re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|[^,]*)', text):
        k, v = part
        out[k] = json.loads(v) if v.startswith('"') else v
    return out


_DEFAULTS = {"protocol": "TCP"}  # what the API server fills in when a port names none


def _matches(entry, selector: dict[str, str]) -> bool:
    return isinstance(entry, dict) and all(str(entry.get(k, _DEFAULTS.get(k))) == v for k, v in selector.items())


def _walk(doc, path: str):
    """(parent, last segment) of a field path in a document, or (None, None) when it is not there."""
    segments = [(f, s) for f, s in _SEGMENT.findall(path)]
    node = doc
    for i, (field, sel) in enumerate(segments):
        last = i == len(segments) - 1
        if field:
            if not isinstance(node, dict) or field not in node:
                return None, None
            if last:
                return node, field
            node = node[field]
        else:
            selector = _selector(sel)
            found = next((e for e in node if _matches(e, selector)), None) if isinstance(node, list) else None
            if found is None:
                return None, None
            if last:
                return None, None
            node = found
    return None, None


def repair(doc: dict, fix: dict) -> None:
    """Apply one repair (from parse_typed_patch_error) to a document in place."""
    parent, field = _walk(doc, fix["path"])
    if parent is None:
        return
    if fix["op"] == "drop-field":
        del parent[field]
    elif fix["op"] == "dedupe" and isinstance(parent[field], list):
        items = parent[field]
        repeats = [i for i, e in enumerate(items) if _matches(e, fix["key"])][1:]
        for i in reversed(repeats):
            del items[i]

def describe(fix: dict) -> str:
    if fix["op"] == "drop-field":
        return f"drop {fix['path']} (the API server already dropped it on your apply)"
    return f"keep the first of the repeated entries in {fix['path']}"
