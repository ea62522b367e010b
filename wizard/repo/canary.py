"""The drift canary: a small ConfigMap the wizard owns, which 4.3 changes by hand and 4.4 watches Flux put back.

Why a canary: the drift test must change an object, and on a real cluster every object but this one
belongs to the owner (the demo's 4.3 once edited kube-system/coredns-custom, the homelab's DNS
overrides). Why flux-system: flux bootstrap creates it before any Kustomization applies, on every
cluster, and nothing of the owner's lives there; so the canary needs no namespace of its own and no
user namespace is touched. It goes into the first Flux path whose kustomization.yaml the wizard
writes (apps, else infra-configs, else infra-controllers): 2.4 generates it with the other Flux
manifests, so 2.4's checks and its proof count it, and the Kustomization that applies it is the
one 4.3/4.4 exercise. A tier Flux points at directly (the owner's own kustomization) gets none:
the wizard does not edit the owner's files for it.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from .layout_model import APPS, CANARY_FILE, CONFIGS, CONTROLLERS

FILE = CANARY_FILE
NAME = PurePosixPath(FILE).stem
NAMESPACE = "flux-system"
KEY = "drift-check"
VALUE = "as-in-git"
FLUX_NAMES = {APPS: "apps", CONFIGS: "infra-configs", CONTROLLERS: "infra-controllers"}


def is_canary_file(path: str) -> bool:
    return PurePosixPath(path).name == FILE


def tier(layout) -> str | None:
    """The tier whose Flux path holds the canary: the first the wizard aggregates itself."""
    for t in (APPS, CONFIGS, CONTROLLERS):
        if layout.tier_units(t) and t not in layout.direct:
            return t
    return None


def path(layout) -> str | None:
    t = tier(layout)
    return f"{layout.aggregators[t]}/{FILE}" if t else None


def document() -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": NAME, "namespace": NAMESPACE,
                         "labels": {"app.kubernetes.io/managed-by": "homelab-wizard"}},
            "data": {KEY: VALUE}}


def is_canary(doc: dict) -> bool:
    md = doc.get("metadata") or {}
    return doc.get("kind") == "ConfigMap" and md.get("name") == NAME and md.get("namespace") == NAMESPACE


def key() -> str:
    """The canary's object key, as the rendered-set checks count objects (validate.keystr)."""
    return f"/ConfigMap/{NAMESPACE}/{NAME}"


NOTE = ("# The wizard's drift canary: 4.3 validate.drift changes it by hand and 4.4 validate.healing checks that\n"
        "# Flux puts it back, so the drift test never touches an object of yours. Nothing reads it.\n")
