"""S.3 on the shapes real repos have (issue 21), with the real CLI, sops and age on temp repos."""
from __future__ import annotations

import yaml

from tests.helpers import git, item_status, make_repo, status_json
from tests.integration.test_secrets_sops import key_path, prepare, sops_decrypt, sops_status, wiz

PASSWORD = "canary-" + "Pg5x-plaintext-91c2"
# The seed author's infrastructure/kubernetes/databases/postgres/postgres.yaml: a comment-only first
# document, a Secret whose values repeat other strings of the file (the namespace, the env value),
# then a PVC, a Service and a StatefulSet.
POSTGRES = f"""\
# Credentials: Stored in postgres-secret
---
apiVersion: v1
kind: Secret
metadata:
  name: postgres-secret
  namespace: homelab
type: Opaque
stringData:
  POSTGRES_USER: homelab
  POSTGRES_PASSWORD: {PASSWORD}
  POSTGRES_DB: homelab
---
# Storage for the database (homelab)
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: postgres-data
  namespace: homelab
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 5Gi
---
apiVersion: v1
kind: Service
metadata:
  name: postgres
  namespace: homelab
spec:
  selector:
    app: postgres
  ports:
    - port: 5432
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
  namespace: homelab
spec:
  serviceName: postgres
  replicas: 1
  selector:
    matchLabels:
      app: postgres
  template:
    metadata:
      labels:
        app: postgres
    spec:
      containers:
        - name: postgres
          image: postgres:16
          env:
            - name: POSTGRES_USER
              value: homelab
          envFrom:
            - secretRef:
                name: postgres-secret
"""
FOLDER = "infrastructure/kubernetes/databases/postgres"


def test_postgres_file_with_a_comment_only_first_document_round_trips(tmp_path, env):
    repo = make_repo(tmp_path / "repo", {f"{FOLDER}/postgres.yaml": POSTGRES})
    prepare(repo, env)
    wiz(repo, "run", "secrets.keys", "--yes", env=env)
    res = wiz(repo, "run", "secrets.convert", "--yes", env=env)
    assert "does not give back the original" not in res.stdout + res.stderr
    target = f"{FOLDER}/postgres-secrets.sops.yaml"
    assert sops_status(repo, target)
    docs = sops_decrypt(repo, target, key_path(tmp_path))
    assert docs == [yaml.safe_load(POSTGRES.split("---\n")[1])]  # one document: no empty one before it
    rest = (repo / f"{FOLDER}/postgres.yaml").read_text()
    assert [d["kind"] for d in yaml.safe_load_all(rest) if d] == ["PersistentVolumeClaim", "Service", "StatefulSet"]
    # `homelab` is the namespace too: a comment naming it is no leak and stays.
    assert "# Storage for the database (homelab)" in rest and PASSWORD not in rest
    assert item_status(status_json(repo, env), "secrets.convert")["status"] == "passed"


def test_a_secret_only_file_with_an_empty_first_document_is_encrypted_in_place(tmp_path, env):
    text = "---\n# Credentials for the database\n---\n" + POSTGRES.split("---\n")[1]
    repo = make_repo(tmp_path / "repo", {f"{FOLDER}/postgres-secret.yaml": text})
    prepare(repo, env)
    wiz(repo, "run", "secrets.keys", "--yes", env=env)
    wiz(repo, "run", "secrets.convert", "--yes", env=env)
    rel = f"{FOLDER}/postgres-secret.yaml"
    assert sops_status(repo, rel)
    assert [d["metadata"]["name"] for d in sops_decrypt(repo, rel, key_path(tmp_path))] == ["postgres-secret"]
    assert "# Credentials for the database" in (repo / rel).read_text()
    assert git(repo, "status", "--porcelain", "--", rel).startswith("M")
