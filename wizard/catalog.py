"""Every checklist item of DESIGN.md, with its stable id and the seed's number as alias.

This is the one place an item's metadata is written. Its code is found by its id: item
`repo.cluster-dir` is the class named here in `wizard/phases/repo/cluster_dir.py`. Items are
loaded lazily: `status` and the first screen need titles and states, not the YAML, sh and
ruamel machinery the implementations import.
"""
from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a cold-start cost for `status`)
if TYPE_CHECKING:
    from .checklist import Item

# The phases of the plan, in order: (id, number, title).
PHASES = [
    ("prep", "1", "Preparation"),
    ("repo", "2", "Repository setup"),
    ("secrets", "S", "Secret management"),
    ("bootstrap", "3", "Flux bootstrap"),
    ("validate", "4", "Validation"),
    ("integrate", "5", "Integration"),
]


def module_of(item_id: str) -> str:
    """The module that holds an item: `repo.cluster-dir` -> `wizard.phases.repo.cluster_dir`."""
    phase, name = item_id.split(".", 1)
    return f"wizard.phases.{phase}.{name.replace('-', '_')}"


class LazyItem:
    """An item whose implementation (`module:Class`) is imported on first real use."""

    def __init__(self, cls: str, item_id: str, alias: str, title: str, requires: tuple[str, ...] = (),
                 needs_cluster: bool = False, again_after: tuple[str, ...] = ()) -> None:
        self.target = f"{module_of(item_id)}:{cls}"
        self.id, self.alias, self.title = item_id, alias, title
        self.requires, self.needs_cluster, self.again_after = requires, needs_cluster, again_after
        self.unavailable = None
        self._impl: Item | None = None

    @property
    def phase(self) -> str:
        return self.id.split(".", 1)[0]

    def impl(self) -> Item:
        if self._impl is None:
            module, cls = self.target.split(":")
            self._impl = getattr(importlib.import_module(module), cls)()
        return self._impl

    def __getattr__(self, name: str):  # questions, acts, verify, plan, apply …
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.impl(), name)

    def __repr__(self) -> str:
        return f"<item {self.id}>"



_CLUSTER_GATE = ("prep.preflight", "prep.backup")

CATALOG: list = [
    LazyItem("Preflight", "prep.preflight", "1.0", "Preflight: tools, clean repo, cluster reachable, identity pinned",
          needs_cluster=True),
    LazyItem("Structure", "prep.structure", "1.1", "Choose Option A (minimal) or B (full restructure)"),
    LazyItem("Backup", "prep.backup", "1.2", "Back up the cluster state (re-appliable, private)",
          ("prep.preflight",), True),
    LazyItem("Inventory", "prep.inventory", "1.3", "Inventory: every deployed resource matched to the repo",
          ("prep.preflight",), True),
    LazyItem("Adopt", "repo.adopt", "2.0", "Adopt what only the cluster has",
          ("prep.preflight", "prep.structure"), True),
    LazyItem("ClusterDir", "repo.cluster-dir", "2.1", "Create clusters/<name>/", ("prep.structure",)),
    LazyItem("Kustomizations", "repo.kustomizations", "2.2", "Kustomization files for every manifest folder",
          ("prep.structure",)),
    LazyItem("Apps", "repo.apps", "2.3", "Move app manifests to apps/ (git mv)", ("prep.structure",)),
    LazyItem("FluxManifests", "repo.flux-manifests", "2.4", "Flux Kustomizations: infrastructure, then apps",
          ("prep.structure",)),
    LazyItem("Scan", "secrets.scan", "S.1", "Find plaintext secrets", ("prep.structure",)),
    LazyItem("Keys", "secrets.keys", "S.2", "Encryption keys (age or Sealed Secrets) kept safe", ("secrets.scan",)),
    LazyItem("Convert", "secrets.convert", "S.3", "Convert plaintext secrets", ("secrets.keys",)),
    LazyItem("Decryption", "secrets.decryption", "S.4", "Flux decryption configured", ("secrets.convert",),
          # its Secret can only be made once bootstrap has created flux-system
          again_after=("bootstrap.run",)),
    LazyItem("CommitPush", "repo.commit-push", "2.5", "Commit and push",
          ("repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests")),
    LazyItem("Ownership", "bootstrap.ownership", "3.0", "Ownership preview: what Flux takes over, leaves or cannot apply",
          ("prep.preflight", "repo.flux-manifests"), True),
    LazyItem("Credentials", "bootstrap.credentials", "3.1", "Git provider credentials", _CLUSTER_GATE, True),
    LazyItem("Run", "bootstrap.run", "3.2", "Run flux bootstrap",
          (*_CLUSTER_GATE, "bootstrap.credentials", "repo.commit-push", "bootstrap.ownership"), True),
    LazyItem("Controllers", "bootstrap.controllers", "3.3", "Flux controllers ready", ("bootstrap.run",), True),
    LazyItem("Namespace", "bootstrap.namespace", "3.4", "flux-system namespace and sync Ready", ("bootstrap.run",), True),
    LazyItem("Deployed", "validate.deployed", "4.1", "Everything deployed via Flux", ("bootstrap.namespace",), True),
    LazyItem("Reconciled", "validate.reconciled", "4.2", "Reconciliation Ready at the pushed revision", ("bootstrap.namespace",), True),
    LazyItem("Drift", "validate.drift", "4.3", "A manual change is seen as drift", ("validate.reconciled",), True),
    LazyItem("Healing", "validate.healing", "4.4", "Flux reverts the manual change", ("validate.drift",), True),
    LazyItem("Docs", "integrate.docs", "5.1", "Document the GitOps workflow", ("repo.commit-push",)),
    LazyItem("NoManualApply", "integrate.no-manual-apply", "5.2", "No manual kubectl apply left",
          ("repo.commit-push",)),
    LazyItem("ImageAutomation", "integrate.image-automation", "5.3", "Image update automation",
          ("bootstrap.namespace",), True),
    LazyItem("Notifications", "integrate.notifications", "5.4", "Notifications (Slack, Discord, webhook)",
          ("bootstrap.namespace",), True),
]


# An item's properties (id, title …) look their entry up here on every use: by target, not a scan.
_BY_TARGET = {it.target: it for it in CATALOG}


class ItemMeta:
    """The metadata of an item class that is not in the catalog (a test's own item)."""

    id = alias = title = ""
    requires: tuple[str, ...] = ()
    again_after: tuple[str, ...] = ()
    needs_cluster = False


def meta_of(cls: type) -> LazyItem | ItemMeta:
    """The catalog entry of an item class (found by its module and name)."""
    return _BY_TARGET.get(f"{cls.__module__}:{cls.__name__}") or ItemMeta()


def item_by_ref(ref: str, items: list[Item] | None = None) -> Item:
    """Find an item by id ('prep.backup') or seed alias ('1.2')."""
    from .session import UsageError

    for it in items if items is not None else CATALOG:
        if ref in (it.id, it.alias):
            return it
    raise UsageError(f"there is no checklist item {ref!r}; 'homelab-wizard status' lists them all.")


def items_for(refs: list[str], items: list[Item] | None = None) -> list[Item]:
    """Items named by id, alias or phase ('prep', '1'); all of them when refs is empty."""
    items = items if items is not None else CATALOG
    if not refs:
        return list(items)
    out: list[Item] = []
    for ref in refs:
        phase = next((p for p in PHASES if ref in (p[0], p[1])), None)
        chosen = [i for i in items if i.phase == phase[0]] if phase else [item_by_ref(ref, items)]
        out.extend(i for i in chosen if i not in out)
    return out
