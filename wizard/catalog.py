"""Every checklist item of DESIGN.md, with its stable id and the seed's number as alias.

Items are declared here by their metadata and loaded lazily: `status` and the first screen
need titles and states, not the YAML, sh and ruamel machinery the implementations import.
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


class LazyItem:
    """An item whose implementation (`module:Class`) is imported on first real use."""

    def __init__(self, target: str, item_id: str, alias: str, title: str, requires: tuple[str, ...] = (),
                 needs_cluster: bool = False, again_after: tuple[str, ...] = ()) -> None:
        self.target = target
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


def _item(target: str, item_id: str, alias: str, title: str, requires: tuple[str, ...] = (),
          needs_cluster: bool = False, again_after: tuple[str, ...] = ()) -> LazyItem:
    return LazyItem(f"wizard.phases.{target}", item_id, alias, title, requires, needs_cluster, again_after)


_CLUSTER_GATE = ("prep.preflight", "prep.backup")

CATALOG: list = [
    _item("preflight:Preflight", "prep.preflight", "1.0", "Preflight: tools, clean repo, cluster reachable, identity pinned",
          needs_cluster=True),
    _item("structure:Structure", "prep.structure", "1.1", "Choose Option A (minimal) or B (full restructure)"),
    _item("backup:Backup", "prep.backup", "1.2", "Back up the cluster state (re-appliable, private)",
          ("prep.preflight",), True),
    _item("inventory:Inventory", "prep.inventory", "1.3", "Inventory: every deployed resource matched to the repo",
          ("prep.preflight",), True),
    _item("repo_setup:ClusterDir", "repo.cluster-dir", "2.1", "Create clusters/<name>/", ("prep.structure",)),
    _item("repo_setup:Kustomizations", "repo.kustomizations", "2.2", "Kustomization files for every manifest folder",
          ("prep.structure",)),
    _item("repo_setup:Apps", "repo.apps", "2.3", "Move app manifests to apps/ (git mv)", ("prep.structure",)),
    _item("repo_setup:FluxManifests", "repo.flux-manifests", "2.4", "Flux GitRepository and Kustomization manifests",
          ("prep.structure",)),
    _item("secrets_items:Scan", "secrets.scan", "S.1", "Find plaintext secrets", ("prep.structure",)),
    _item("secrets_items:Keys", "secrets.keys", "S.2", "Encryption keys (age or Sealed Secrets) kept safe", ("secrets.scan",)),
    _item("secrets_items:Convert", "secrets.convert", "S.3", "Convert plaintext secrets", ("secrets.keys",)),
    _item("secrets_items:Decryption", "secrets.decryption", "S.4", "Flux decryption configured", ("secrets.convert",),
          # its Secret can only be made once bootstrap has created flux-system
          again_after=("bootstrap.run",)),
    _item("repo_setup:CommitPush", "repo.commit-push", "2.5", "Commit and push",
          ("repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests")),
    _item("bootstrap:Credentials", "bootstrap.credentials", "3.1", "Git provider credentials", _CLUSTER_GATE, True),
    _item("bootstrap:Run", "bootstrap.run", "3.2", "Run flux bootstrap",
          (*_CLUSTER_GATE, "bootstrap.credentials", "repo.commit-push"), True),
    _item("bootstrap:Controllers", "bootstrap.controllers", "3.3", "Flux controllers ready", ("bootstrap.run",), True),
    _item("bootstrap:Namespace", "bootstrap.namespace", "3.4", "flux-system namespace and sync Ready", ("bootstrap.run",), True),
    _item("validate:Deployed", "validate.deployed", "4.1", "Everything deployed via Flux", ("bootstrap.namespace",), True),
    _item("validate:Reconciled", "validate.reconciled", "4.2", "Reconciliation Ready at the pushed revision", ("bootstrap.namespace",), True),
    _item("validate:Drift", "validate.drift", "4.3", "A manual change is seen as drift", ("validate.reconciled",), True),
    _item("validate:Healing", "validate.healing", "4.4", "Flux reverts the manual change", ("validate.drift",), True),
    _item("integrate_repo:Docs", "integrate.docs", "5.1", "Document the GitOps workflow", ("repo.commit-push",)),
    _item("integrate_repo:NoManualApply", "integrate.no-manual-apply", "5.2", "No manual kubectl apply left",
          ("repo.commit-push",)),
    _item("integrate_cluster:ImageAutomation", "integrate.image-automation", "5.3", "Image update automation",
          ("bootstrap.namespace",), True),
    _item("integrate_cluster:Notifications", "integrate.notifications", "5.4", "Notifications (Slack, Discord, webhook)",
          ("bootstrap.namespace",), True),
]


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
