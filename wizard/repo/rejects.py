"""Objects the API server refuses, found offline: a Secret whose `data:` holds a value that is not
base64 (a placeholder such as `CHANGEME`), a Secret's `stringData:` or a ConfigMap's `data:` holding
a number or a boolean instead of a string.

The owner's own `kubectl apply` failed on them too, so the cluster never had them. Each is a
declared question, `reject.<Kind>/<namespace>/<name>`: leave it out of Flux (the reference set
loses nothing the cluster had), or fix it the way the answer says (2.2 edits the file, comments kept).
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from ..checklist import Question
from .layout_model import Layout, Unit
from .scan import Manifest

EXCLUDE, FIX = "exclude", "fix"


@dataclass
class Rejected:
    unit: Unit
    manifest: Manifest
    field: str  # data | stringData
    keys: list[str]
    why: str
    ref: str  # <Kind>/<namespace>/<name>, the namespace as the object gets it
    fixable: bool = True  # False: only the owner can fix it (the API server's own validation, 2.x cannot guess)
    repair: dict | None = None  # repo/ssa_repair.py: what server-side apply refuses, and its mechanical repair
    said: str = ""  # the sentence, when it is not the API server's refusal (a claim nothing defines)

    @property
    def key(self) -> str:
        return f"reject.{self.ref}"

    @property
    def fix(self) -> str:
        if self.repair is not None:
            from .ssa_repair import describe

            return describe(self.repair)
        if self.field == "data" and self.manifest.kind == "Secret":
            return "move the values that are not base64 to stringData, as written (the API server encodes them)"
        return "quote the values as strings"


def _not_base64(v) -> bool:
    if v is None:
        return False
    if not isinstance(v, str):
        return True
    try:
        base64.b64decode(v.replace("\n", "").replace("\r", ""), validate=True)
    except (binascii.Error, ValueError):
        return True
    return False


def _problems(m: Manifest) -> list[tuple[str, list[str], str]]:
    """(field, keys, why) the API server would refuse."""
    doc = m.doc
    if m.api_version != "v1" or "sops" in doc:  # encrypted values are not base64 until Flux decrypts them
        return []
    out = []
    data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
    if m.kind == "Secret":
        bad = [str(k) for k, v in data.items() if _not_base64(v)]
        if bad:
            out.append(("data", bad, f"data.{bad[0]} is not base64 ('illegal base64 data')"))
        sd = doc.get("stringData") if isinstance(doc.get("stringData"), dict) else {}
        bad = [str(k) for k, v in sd.items() if v is not None and not isinstance(v, str)]
        if bad:
            out.append(("stringData", bad, f"stringData.{bad[0]} is a {type(sd[bad[0]]).__name__}, not a string"))
    elif m.kind == "ConfigMap":
        bad = [str(k) for k, v in data.items() if v is not None and not isinstance(v, str)]
        if bad:
            out.append(("data", bad, f"data.{bad[0]} is a {type(data[bad[0]]).__name__}, not a string"))
    return out


def server_rejected(layout: Layout, place, refusals: dict, already: list[Rejected]) -> list[Rejected]:
    """The objects kustomize-controller's server-side apply would refuse ({(kind, namespace or "", name):
    (reason, repair or None)}, from a dry-run as it applies), beside the ones found offline."""
    seen = {(r.manifest.kind, place(r.manifest.key).namespace, r.manifest.name) for r in already}
    out = []
    for u in layout.units:
        for m in u.objects:
            k = place(m.key)
            found = refusals.get((m.kind, k.namespace, m.name)) or refusals.get((m.kind, "", m.name))
            if found is None or (m.kind, k.namespace, m.name) in seen:
                continue
            seen.add((m.kind, k.namespace, m.name))
            why, fix = found
            out.append(Rejected(u, m, "server", [], why, f"{m.kind}/{k.namespace}/{m.name}", fixable=fix is not None,
                                repair=fix))
    return out


_CLAIMS_AT = {"Pod": ("spec",), "Job": ("spec", "template", "spec"), "CronJob": ("spec", "jobTemplate", "spec",
              "template", "spec")}


def _claims_of(m: Manifest) -> list[str]:
    """The PersistentVolumeClaims a Pod or a workload's pod template mounts by name."""
    node = m.doc
    for step in _CLAIMS_AT.get(m.kind, ("spec", "template", "spec")):
        node = node.get(step) if isinstance(node, dict) else None
    vols = node.get("volumes") if isinstance(node, dict) else None
    return [v["persistentVolumeClaim"]["claimName"] for v in vols or []
            if isinstance(v, dict) and isinstance(v.get("persistentVolumeClaim"), dict)
            and isinstance(v["persistentVolumeClaim"].get("claimName"), str)]


def dangling_claims(layout: Layout, place, cluster_claims: set[tuple[str, str]]) -> list[Rejected]:
    """Pods that mount a claim neither the repo nor the cluster has: they can never start
    (the owner's own stayed Pending), and Flux's health check would fail their Kustomization and, through
    dependsOn, everything after it."""
    have = set(cluster_claims)
    for u in layout.units:
        have |= {(place(m.key).namespace, m.name) for m in u.objects if m.kind == "PersistentVolumeClaim"}
    out = []
    for u in layout.units:
        for m in u.objects:
            # Bare Pods only: nothing recreates them differently, and Flux waits on them. A workload's claim
            # may come from elsewhere (an operator, a chart, a volumeClaimTemplate) and a CronJob is not waited on.
            if m.kind != "Pod":
                continue
            ns = place(m.key).namespace
            missing = [c for c in _claims_of(m) if (ns, c) not in have]
            if missing:
                said = (f"{m.kind} {ns}/{m.name} mounts PersistentVolumeClaim {', '.join(missing)}, which neither the "
                        "repo nor the cluster has, so it can never start (yours stayed Pending too) and Flux's health "
                        "check would fail its Kustomization")
                out.append(Rejected(u, m, "claims", missing, f"claim {', '.join(missing)} is defined nowhere",
                                    f"{m.kind}/{ns}/{m.name}", fixable=False, said=said))
    return out


def find_rejected(layout: Layout, place) -> list[Rejected]:
    """Every object of the layout the API server would refuse; `place(key)` gives its namespace."""
    out = []
    for u in layout.units:
        for m in u.objects:
            for fld, keys, why in _problems(m):
                k = place(m.key)
                out.append(Rejected(u, m, fld, keys, why, f"{m.kind}/{k.namespace}/{m.name}"))
    return out


def ask(layout: Layout, rejected: list[Rejected], answers: dict) -> list[Rejected]:
    """Questions for the unanswered ones (into layout.needs/blocks); returns the ones answered."""
    answered = []
    for r in rejected:
        if answers.get(r.key) in (EXCLUDE, FIX):
            answered.append(r)
            continue
        if r.key in {q.key for q in layout.needs}:
            continue
        m = r.manifest
        sentence = f"{m.where}: {r.said}" if r.said else (f"{m.where}: the API server refuses {m.kind} {r.ref.split('/', 1)[1]}: {r.why}, so your own "
                    "apply never created it either") if r.repair is None else (
            f"{m.where}: Flux's server-side apply refuses {m.kind} {r.ref.split('/', 1)[1]} ({r.why}), which "
            "client-side kubectl apply let through")
        if r.repair is not None:  # `kubectl apply` took it, so the cluster has it: repairing keeps it in Flux
            choices = [(FIX, r.fix), (EXCLUDE, "leave it out of Flux (it stays in the cluster as it is)")]
            how = f"answer {r.key}=fix ({r.fix}) or {r.key}=exclude (leave it out)"
        elif r.fixable:
            choices = [(EXCLUDE, "leave it out of Flux (the cluster never had it)"), (FIX, r.fix)]
            how = f"answer {r.key}=exclude (leave it out) or {r.key}=fix ({r.fix})"
        else:
            choices = [(EXCLUDE, "leave it out of Flux (the cluster never had it)")]
            how = f"answer {r.key}=exclude (leave it out), or correct {m.where} and run again"
        layout.needs.append(Question(
            r.key, f"{sentence}. Leave it out of Flux?" if not r.fixable else f"{sentence}. Leave it out of Flux, or fix it?",
            choices, default=None, where=m.where,
            help="Flux would fail the whole Kustomization that holds it, and everything that depends on it."
                 + ("" if r.fixable else " Once you correct the file, the question goes away.")))
        layout.blocks.append(f"{sentence}: {how}")
    return answered
