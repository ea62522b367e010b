"""A stand-in for the owner's volume provisioner on the testbed.

Every homelab binds its PersistentVolumeClaims with something (k3s' local-path, Longhorn, NFS); the
testbed has none, so a claim stays Pending, its pods never start, and a Flux Kustomization that waits
on them never gets Ready: a red the owner's cluster would not show. While a live journey runs, this
binds each Pending claim to a PersistentVolume made for it (hostPath under the testbed's own folder;
kwok's pods never mount it). Loopback only: kubectl against the testbed's API server.
"""
from __future__ import annotations

import json
import subprocess
import threading

import yaml


def _pending_claims(env: dict) -> list[dict]:
    res = subprocess.run(["kubectl", "get", "persistentvolumeclaims", "-A", "-o", "json"], env=env,
                         capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        return []
    return [c for c in json.loads(res.stdout).get("items", [])
            if (c.get("status") or {}).get("phase") == "Pending" and not (c.get("spec") or {}).get("volumeName")]


def _volume_for(claim: dict) -> dict:
    md, spec = claim["metadata"], claim.get("spec") or {}
    size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
    return {"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": f"testbed-{md['namespace']}-{md['name']}"[:63].rstrip("-"),
                         "labels": {"homelab-wizard.testbed/stand-in": "volume"},
                         # as a dynamic provisioner marks its volumes (the wizard never offers those for adoption)
                         "annotations": {"pv.kubernetes.io/provisioned-by": "testbed.homelab-wizard/stand-in"}},
            "spec": {"capacity": {"storage": size}, "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                     "storageClassName": spec.get("storageClassName") or "",
                     "volumeMode": spec.get("volumeMode") or "Filesystem",
                     "persistentVolumeReclaimPolicy": "Delete",
                     "hostPath": {"path": f"/tmp/homelab-wizard-testbed-volumes/{md['namespace']}/{md['name']}"},
                     "claimRef": {"namespace": md["namespace"], "name": md["name"], "uid": md["uid"]}}}


class ClaimBinder:
    """Binds Pending claims until stopped (a context manager around the journey)."""

    def __init__(self, env: dict, every: float = 2.0) -> None:
        self.env, self.every = env, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="testbed-claim-binder", daemon=True)
        self.bound: list[str] = []

    def _loop(self) -> None:
        while not self._stop.is_set():
            for claim in _pending_claims(self.env):
                pv = _volume_for(claim)
                res = subprocess.run(["kubectl", "create", "-f", "-"], input=yaml.safe_dump(pv), env=self.env,
                                     capture_output=True, text=True, timeout=30)
                if res.returncode == 0:
                    self.bound.append(f"{claim['metadata']['namespace']}/{claim['metadata']['name']}")
            self._stop.wait(self.every)

    def __enter__(self) -> ClaimBinder:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=40)
