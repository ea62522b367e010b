"""Phase 2's dry-run answer shared between runs of the wizard for FRESH_SECONDS
(wizard/phases/repo/cluster_facts.py _nothing_refused_lately): by cluster and objects, never about a Secret
or with a known secret value, and only 0600."""
from __future__ import annotations

import os
import stat
import time
from types import SimpleNamespace

from wizard.phases.repo import cluster_facts as cf
from wizard.redact import Redactor
from wizard.state import ClusterIdentity


def session(uid="uid-1", secret=None):
    red = Redactor()
    if secret:
        red.add(secret, found=True)
    cluster = ClusterIdentity(context="c", server="https://127.0.0.1:6443", uid=uid, kubeconfig=None)
    return SimpleNamespace(state=SimpleNamespace(cluster=cluster), runner=SimpleNamespace(redactor=red))


def counting(value):
    calls = []

    def read():
        calls.append(1)
        return value
    return read, calls


def test_a_second_run_within_the_minute_reads_the_answer_and_another_cluster_does_not(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path))
    refused = {"Deployment//web": ("spec.replicas: Invalid value: -1", None)}
    read, calls = counting(refused)
    assert cf._nothing_refused_lately(session(), "refusals:abc", read) == refused
    assert cf._nothing_refused_lately(session(), "refusals:abc", read) == refused
    assert len(calls) == 1
    cf._nothing_refused_lately(session(uid="uid-2"), "refusals:abc", read)  # a replaced cluster asks again
    cf._nothing_refused_lately(session(), "refusals:other-objects", read)
    assert len(calls) == 3
    files = list((tmp_path / "cluster-facts").iterdir())
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)

    old = time.time() - cf.FRESH_SECONDS - 1
    for f in files:
        os.utime(f, (old, old))
    cf._nothing_refused_lately(session(), "refusals:abc", read)
    assert len(calls) == 4


def test_an_answer_about_a_secret_or_with_a_secret_value_is_asked_every_time(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path))
    for s, value in ((session(), {"Secret/db/pw": ("data: Invalid value", None)}),
                     (session(secret="hunter2-secret"), {"ConfigMap//c": ('Invalid value: "hunter2-secret"', None)})):
        read, calls = counting(value)
        cf._nothing_refused_lately(s, "refusals:x", read)
        cf._nothing_refused_lately(s, "refusals:x", read)
        assert len(calls) == 2
    assert not (tmp_path / "cluster-facts").exists() or not list((tmp_path / "cluster-facts").iterdir())


def test_the_same_objects_in_another_order_are_the_same_question_and_a_changed_one_another():
    web = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "a"}}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"}, "data": {"k": "v"}}
    moved = {"data": {"k": "v"}, "metadata": {"namespace": "a", "name": "c"}, "kind": "ConfigMap", "apiVersion": "v1"}
    assert cf._set_digest([web, cm]) == cf._set_digest([moved, web])  # 2.3 moved the folders: same objects
    assert cf._set_digest([web, cm]) != cf._set_digest([web, {**cm, "data": {"k": "w"}}])
    assert cf._set_digest([web, cm]) != cf._set_digest([web])
