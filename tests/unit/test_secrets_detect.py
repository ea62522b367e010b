"""secrets.scan's detector: gitleaks-style true and false positives (reliability.md §2 faults 6-8)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import write_files as write
from wizard.secrets.detect import (CREDENTIAL, DOCKERCONFIG, LAST_APPLIED, PLAINTEXT_SECRET, TOKEN, find,
                                   looks_like_credential)

# Token-shaped fakes are assembled at run time so no scanner flags this file.
AGE_KEY = "AGE-SECRET-KEY-1" + "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L" * 2
AGE_KEY = AGE_KEY[:16 + 58]
GHP = "ghp" + "_" + "a1B2c3D4e5F6g7H8i9J0" + "k1L2m3N4o5P6q7R8"
PAT = "github" + "_pat_" + "11ABCDEFG0" + "x" * 72
CANARY = "canary-" + "s3cr3t-v4lue"


def rules(findings):
    return sorted((f.path, f.rule) for f in findings)


# -- true positives (gitleaks kubernetes.go tps, plus our other places) ------------------------------
TRUE_POSITIVES = {
    "data-first.yaml": f"""\
apiVersion: v1
data:
  password: {"c2VjcmV0LXZhbHVlLWhlcmU="}
kind: Secret
metadata:
  name: db
""",
    "kind-first-quoted.yaml": """\
kind: "Secret"
apiVersion: v1
metadata: {name: api, namespace: apps}
stringData:
  token: "a-literal-token-value"
""",
    "block-scalar.yaml": """\
apiVersion: v1
kind: Secret
metadata:
  name: cert
data:
  tls.key: |
    LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2Z0lCQURB
""",
    "multi.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata: {name: plain}
data: {color: blue}
---
apiVersion: v1
kind: Secret
metadata: {name: second, namespace: x}
stringData:
  pw: hunter2hunter2
""",
    "short-value.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {pin: '1234'}\n",
}


@pytest.mark.parametrize("name", sorted(TRUE_POSITIVES))
def test_plaintext_secret_true_positives(tmp_path, name):
    found = find(write(tmp_path, {name: TRUE_POSITIVES[name]}))
    assert [f.rule for f in found] == [PLAINTEXT_SECRET], found


def test_multi_document_line_object_and_key_names(tmp_path):
    f, = find(write(tmp_path, {"a/multi.yaml": TRUE_POSITIVES["multi.yaml"]}))
    assert (f.path, f.line, f.object, f.keys, f.index) == ("a/multi.yaml", 10, "Secret x/second", ["stringData.pw"], 1)
    assert "hunter2" not in json.dumps(f.evidence()) and "hunter2" not in f.describe()


# -- false positives (gitleaks fps and reliability.md fault 7) ------------------------------------------
FALSE_POSITIVES = {
    "sops.yaml": """\
apiVersion: v1
kind: Secret
metadata: {name: enc}
stringData:
  pw: ENC[AES256_GCM,data:FlDIIp0A,iv:Ik=,tag:/n==,type:str]
sops:
  mac: ENC[AES256_GCM,data:3N,iv:zu=,tag:+H==,type:str]
  version: 3.11.0
""",
    "sealed.yaml": """\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: s, namespace: x}
spec:
  encryptedData:
    password: AgBy3i4OJSWK+PiTySYZZA==
  template:
    metadata: {name: s}
""",
    "external.yaml": """\
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: e}
spec:
  data:
    - secretKey: password
      remoteRef: {key: db/password}
""",
    "empty.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: e}\ndata: {}\n---\napiVersion: v1\nkind: Secret\n"
                  "metadata: {name: f}\nstringData:\n  a: ''\n  b: \"\"\n  c:\n",
    "templated.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: t}\nstringData:\n"
                      "  password: '{{ .Values.password }}'\n  token: ${TOKEN}\n",
    "tls-ref.yaml": "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec:\n  tls:\n"
                    "    - secretName: web-tls\n",
    "env-ref.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
        - name: c
          env:
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: db, key: password}}
            - name: APIKEY_PATH
              value: /run/secrets/apikey
            - name: TOKEN_TTL
              value: "3600"
""",
    "values.yaml": "auth:\n  existingSecret: grafana-admin\n  passwordSecretRef: admin\n  password: ''\n"
                   "master_key: os.environ/LITELLM_MASTER_KEY\napi_key: <your key here>\n",
    "ci.yml": "env:\n  GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n",
}


@pytest.mark.parametrize("name", sorted(FALSE_POSITIVES))
def test_look_alikes_are_not_flagged(tmp_path, name):
    assert find(write(tmp_path, {name: FALSE_POSITIVES[name]})) == []


def test_the_demo_repo_has_exactly_its_plaintext_secrets():
    root = Path(__file__).resolve().parents[2] / "assets/demo/repo"
    found = find(root)
    assert {f.object for f in found} == {"Secret databases/postgres-credentials", "Secret monitoring/grafana-admin",
                                         "Secret homelab/n8n-auth", "Secret homelab/mem0-env"}
    assert all(f.rule == PLAINTEXT_SECRET for f in found)


# -- secrets hidden elsewhere (fault 8) -----------------------------------------------------------------
def test_credentials_outside_secrets(tmp_path):
    la = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"},
                     "stringData": {"password": CANARY}})
    files = {
        "cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: app}}\ndata:\n  DB_PASSWORD: {CANARY}\n"
                   "  LOG_LEVEL: info\n",
        "deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n"
                       "      containers:\n        - name: c\n          env:\n            - name: API_TOKEN\n"
                       f"              value: {CANARY}\n",
        "applied.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n"
                        f"    kubectl.kubernetes.io/last-applied-configuration: '{la}'\nspec: {{}}\n",
        "registry.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r}\ndata:\n"
                         "  .dockerconfigjson: eyJhdXRocyI6eyJyZWdpc3RyeSI6e319fQ==\n",
        "notes.txt": f"my key: {AGE_KEY}\n",
        "ci/deploy.yml": f"steps:\n  - run: echo {GHP}\n  - run: echo {PAT}\n",
        "compose.yaml": f"services:\n  db:\n    image: postgres\n    environment:\n      POSTGRES_PASSWORD: {CANARY}\n",
    }
    found = find(write(tmp_path, files))
    assert rules(found) == sorted([
        ("cm.yaml", CREDENTIAL), ("deploy.yaml", CREDENTIAL), ("applied.yaml", LAST_APPLIED),
        ("registry.yaml", DOCKERCONFIG), ("notes.txt", TOKEN), ("ci/deploy.yml", TOKEN), ("ci/deploy.yml", TOKEN),
        ("compose.yaml", CREDENTIAL)])
    by = {f.path: f for f in found}
    assert by["cm.yaml"].keys == ["DB_PASSWORD"] and by["cm.yaml"].line == 5
    assert by["deploy.yaml"].keys == ["API_TOKEN"] and by["deploy.yaml"].line == 11
    assert by["applied.yaml"].keys == ["stringData.password"] and by["applied.yaml"].line == 6
    assert by["notes.txt"].line == 1
    text = json.dumps([f.evidence() for f in found]) + "".join(f.describe() for f in found)
    for value in (CANARY, AGE_KEY, GHP, PAT):
        assert value not in text


def test_sops_encrypted_file_is_ignored_even_with_token_shapes(tmp_path):
    text = FALSE_POSITIVES["sops.yaml"] + f"# {GHP}\n"
    assert find(write(tmp_path, {"s.yaml": text})) == []


@pytest.mark.parametrize("key,value,hit", [
    ("password", "hunter2!", True), ("DB_PASS", "correct-horse", True), ("client_secret", "abcd1234", True),
    ("secretName", "web-tls", False), ("password_file", "/run/pw", False), ("password", "true", False),
    ("token", "${TOKEN}", False), ("apiKey", "{{ .Values.key }}", False), ("name", "password", False),
    ("password", "db-credentials", False),
])
def test_credential_heuristic(key, value, hit):
    assert looks_like_credential(key, value) is hit


def test_scan_finds_what_it_used_to_miss(tmp_path):
    """Fault (issue 14 item 10): a Secret file that does not parse, secretGenerator literals and env
    files, a `password = …` line inside a multi-line ConfigMap value, and `kind: List` items."""
    from wizard.secrets.detect import find

    files = {
        "a/broken-secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\nstringData:\n  pw: [oops\n",
        "b/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                                "secretGenerator:\n  - name: gen\n    literals: [api_key=Zx81-Lk22-Pq90]\n"
                                "  - name: fromfile\n    envs: [creds.env]\n",
        "c/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  app.ini: |\n"
                         "    [db]\n    host = db\n    password = Kq7-Very-Secret\n",
        "d/list.yaml": "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n"
                       "      name: in-list\n    stringData:\n      token: Rt55-Mm01-Zz93\n",
    }
    write(tmp_path, files)
    got = {(f.rule, f.path) for f in find(tmp_path)}
    assert ("unreadable-secret", "a/broken-secret.yaml") in got
    assert ("secret-generator", "b/kustomization.yaml") in got
    assert ("credential", "c/config.yaml") in got
    assert ("secret-in-list", "d/list.yaml") in got
    line = next(f for f in find(tmp_path) if f.path == "c/config.yaml").line
    assert (tmp_path / "c/config.yaml").read_text().splitlines()[line - 1].strip().startswith("password =")
