"""A stand-in for the owner's volume provisioner on the testbed.

Every homelab binds its PersistentVolumeClaims with something (k3s' local-path, Longhorn, NFS); the
testbed has none, so a claim stays Pending, its pods never start, and a Flux Kustomization that waits
on them never gets Ready: a red the owner's cluster would not show. While a live journey runs, this
binds each Pending claim to a PersistentVolume made for it (hostPath under the testbed's own folder;
kwok's pods never mount it). Loopback only: kubectl against the testbed's API server.
"""
from __future__ import annotations

import codecs
import json
import subprocess
import threading

import yaml


def _pending(claim: dict) -> bool:
    return (claim.get("status") or {}).get("phase") == "Pending" and not (claim.get("spec") or {}).get("volumeName")


def _json_objects(stream):
    """Each JSON object of a stream of concatenated objects (`kubectl get --watch -o json` writes one per event)."""
    decoder, text, buf = json.JSONDecoder(), codecs.getincrementaldecoder("utf-8")(), ""
    for chunk in iter(lambda: stream.read1(65536), b""):
        buf += text.decode(chunk)  # a character cut between two reads waits for its other bytes
        while True:
            buf = buf.lstrip()
            try:
                obj, end = decoder.raw_decode(buf)
            except ValueError:
                break
            yield obj
            buf = buf[end:]


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
    """Binds Pending claims until stopped (a context manager around the journey).

    One `kubectl get --watch` streams every claim as it changes, instead of a kubectl run every few seconds
    (hundreds over a journey, on a machine whose cores the tests share); it is started again should the API
    server end the watch."""

    def __init__(self, env: dict) -> None:
        self.env = env
        self._stop = threading.Event()
        self._proc: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._loop, name="testbed-claim-binder", daemon=True)
        self.bound: list[str] = []

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._proc = subprocess.Popen(["kubectl", "get", "persistentvolumeclaims", "-A", "--watch", "-o", "json"],
                                          env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            if self._stop.is_set():  # stopped while it started: __exit__ may have looked before it existed
                self._proc.terminate()
            for claim in _json_objects(self._proc.stdout):
                if _pending(claim):
                    self._bind(claim)
            self._proc.wait()
            self._stop.wait(1)  # the watch ended (API server restart, timeout): watch again

    def _bind(self, claim: dict) -> None:
        pv = _volume_for(claim)
        res = subprocess.run(["kubectl", "create", "-f", "-"], input=yaml.safe_dump(pv), env=self.env,
                             capture_output=True, text=True, timeout=30)
        if res.returncode == 0:
            self.bound.append(f"{claim['metadata']['namespace']}/{claim['metadata']['name']}")

    def __enter__(self) -> ClaimBinder:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
        self._thread.join(timeout=40)
