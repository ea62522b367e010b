"""Issue 21 (lisenet, master-bogdan): what kustomize-controller's server-side apply refuses in files that
`kubectl apply` took, read from the API server's answer and repaired in the file as a one-document edit."""
from __future__ import annotations

import yaml

from wizard.repo.ssa_repair import parse_typed_patch_error
from wizard.repo.yamledit import apply_transform

DUPLICATE = ('Error from server: failed to create typed patch object (istio-system/grafana; apps/v1, Kind=Deployment): '
             '.spec.template.spec.containers[name="grafana"].ports: duplicate entries for key '
             '[containerPort=3000,protocol="TCP"]')
UNDECLARED = ('Error from server: failed to create typed patch object (dev-db/postgresql-deploy; apps/v1, '
              'Kind=Deployment): .spec.template.spec.containers[name="db"].volumeMounts[mountPath="/init"].defaultMode: '
              'field not declared in schema')

FILE = """\
# the owner's comment stays
apiVersion: v1
kind: Service
metadata:
  name: grafana
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: grafana   # and this one
spec:
  template:
    spec:
      containers:
        - name: grafana
          ports:
            - name: service
              containerPort: 3000
              protocol: TCP
            - name: grafana
              containerPort: 3000
        - name: db
          volumeMounts:
            - name: init
              mountPath: /init
              defaultMode: 0644
"""


def test_the_two_refusals_are_read_with_their_object_and_path():
    kind, name, fix = parse_typed_patch_error(DUPLICATE)
    assert (kind, name, fix["op"], fix["key"]) == ("Deployment", "grafana", "dedupe",
                                                   {"containerPort": "3000", "protocol": "TCP"})
    kind, name, fix = parse_typed_patch_error(UNDECLARED)
    assert (kind, name, fix["op"]) == ("Deployment", "postgresql-deploy", "drop-field")
    assert parse_typed_patch_error('The Deployment "x" is invalid: spec.replicas: Invalid value: -3') is None


def test_the_repeated_port_and_the_undeclared_field_go_and_nothing_else_changes():
    text = FILE
    for line in (DUPLICATE, UNDECLARED):
        _, _, fix = parse_typed_patch_error(line)
        text = apply_transform(text, "ssa-repair", {"index": 1, "kind": "Deployment", "name": "grafana", "repair": fix})
    doc = list(yaml.safe_load_all(text))[1]
    c = doc["spec"]["template"]["spec"]["containers"]
    assert c[0]["ports"] == [{"name": "service", "containerPort": 3000, "protocol": "TCP"}]
    assert c[1]["volumeMounts"] == [{"name": "init", "mountPath": "/init"}]
    assert text.startswith("# the owner's comment stays\napiVersion: v1\nkind: Service") and "# and this one" in text
    removed = [ln for ln in FILE.splitlines() if ln not in text.splitlines()]
    assert removed == ["            - name: grafana", "              defaultMode: 0644"], removed
    assert len(FILE.splitlines()) - len(text.splitlines()) == 3  # the repeat's two lines and the field
