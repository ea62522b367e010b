"""A homelab repo shaped like the seed's "Current Repository Structure", for Phase 2 tests.

Multi-document files, comments, anchors and merge keys, a Helm values file, a compose file, a
GitHub workflow, a JSON dashboard, an existing kustomization (with the deprecated `bases`),
outdated Flux APIs (HelmRelease v2beta1, HelmRepository v1beta2), and a cert-manager
ClusterIssuer whose CRD comes from a HelmRelease. `with_secret=True` adds a plaintext Secret.
"""
from __future__ import annotations

from pathlib import Path

from tests.helpers import git, make_repo

NAMESPACES = """\
# Namespaces for the homelab. Apply this file first.
#   kubectl apply -f infrastructure/kubernetes/base/namespace.yaml
---
apiVersion: v1
kind: Namespace
metadata:
  name: homelab
---
# databases get their own namespace
apiVersion: v1
kind: Namespace
metadata:
  name: databases
---
apiVersion: v1
kind: Namespace
metadata:
  name: cert-manager
"""

POSTGRES = """\
# PostgreSQL 16, single replica.
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: postgres-data
  namespace: databases
spec:
  accessModes: ["ReadWriteOnce"]
  resources:
    requests:
      storage: 20Gi   # grows with n8n history
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: postgres
  namespace: databases
  labels: &labels
    app.kubernetes.io/name: postgres
    app.kubernetes.io/part-of: homelab
spec:
  serviceName: postgres
  selector:
    matchLabels: {app.kubernetes.io/name: postgres}
  template:
    metadata:
      labels:
        <<: *labels
        tier: db   # merged with the anchor above
    spec:
      containers:
        - name: postgres
          image: postgres:16.4
---
apiVersion: v1
kind: Service
metadata:
  name: postgres
  namespace: databases
spec:
  selector: {app.kubernetes.io/name: postgres}
  ports:
    - port: 5432
"""

JETSTACK = """\
# Chart repository for cert-manager.
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: HelmRepository
metadata:
  name: jetstack
  namespace: flux-system
spec:
  interval: 1h
  url: https://charts.jetstack.io
"""

CERT_MANAGER = """\
# cert-manager, with its CRDs (installCRDs), from the jetstack chart.
apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata:
  name: cert-manager
  namespace: cert-manager
spec:
  interval: 30m
  chart:
    spec:
      chart: cert-manager
      version: "v1.16.x"   # keep on 1.16 until the issuers are tested
      sourceRef:
        kind: HelmRepository
        name: jetstack
        namespace: flux-system
  values:
    installCRDs: true
"""

ISSUER = """\
# Let's Encrypt issuer; the CRD comes from the cert-manager HelmRelease.
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt-prod
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    email: admin@home.example.com
    privateKeySecretRef:
      name: letsencrypt-prod-account-key
    solvers:
      - http01:
          ingress:
            ingressClassName: traefik
"""

GRAFANA = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: grafana
  namespace: homelab
spec:
  selector:
    matchLabels: {app: grafana}
  template:
    metadata:
      labels: {app: grafana}
    spec:
      containers:
        - name: grafana
          image: grafana/grafana:11.3.1
"""

MONITORING_KUSTOMIZATION = """\
# Monitoring stack: kubectl apply -k infrastructure/kubernetes/monitoring
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
bases:
  - grafana.yaml
"""

VALUES = """\
# Helm values for grafana (not a manifest)
replicas: 1
persistence:
  enabled: true
  size: 5Gi
"""

DASHBOARD = '{\n  "title": "Homelab",\n  "panels": [{"type": "graph", "title": "CPU"}]\n}\n'

N8N = """\
# n8n workflow automation.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: n8n
  namespace: homelab
spec:
  selector:
    matchLabels: {app: n8n}
  template:
    metadata:
      labels: {app: n8n}
    spec:
      containers:
        - name: n8n
          image: n8nio/n8n:1.70.1
---
apiVersion: v1
kind: Service
metadata:
  name: n8n
  namespace: homelab
spec:
  selector: {app: n8n}
  ports:
    - port: 5678
"""

DASHBOARD_APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: homelab-dashboard
  namespace: homelab
spec:
  selector:
    matchLabels: {app: homelab-dashboard}
  template:
    metadata:
      labels: {app: homelab-dashboard}
    spec:
      containers:
        - name: dashboard
          image: registry.home.example.com/homelab/dashboard:1.4.0
"""

COMPOSE = """\
# GPU box, not part of the cluster
services:
  ollama:
    image: ollama/ollama:0.4.7
    ports: ["11434:11434"]
"""

WORKFLOW = """\
name: deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: kubectl apply -f infrastructure/kubernetes/services/
"""

SECRET = """\
# plaintext on purpose until sealed-secrets is set up
apiVersion: v1
kind: Secret
metadata:
  name: n8n-auth
  namespace: homelab
type: Opaque
stringData:
  N8N_ENCRYPTION_KEY: n8n-key-test-not-a-real-secret
"""


def files(with_secret: bool = False) -> dict[str, str]:
    k = "infrastructure/kubernetes"
    out = {
        f"{k}/base/namespace.yaml": NAMESPACES,
        f"{k}/databases/postgres.yaml": POSTGRES,
        f"{k}/sources/jetstack.yaml": JETSTACK,
        f"{k}/cert-manager/helmrelease.yaml": CERT_MANAGER,
        f"{k}/certificates/cluster-issuer.yaml": ISSUER,
        f"{k}/monitoring/grafana.yaml": GRAFANA,
        f"{k}/monitoring/kustomization.yaml": MONITORING_KUSTOMIZATION,
        f"{k}/monitoring/values.yaml": VALUES,
        f"{k}/monitoring/dashboards/homelab.json": DASHBOARD,
        f"{k}/services/n8n.yaml": N8N,
        "services/homelab-dashboard/k8s/deployment.yaml": DASHBOARD_APP,
        "services/homelab-dashboard/Dockerfile": "FROM python:3.12-slim\n",
        "infrastructure/compute-node/docker-compose.yml": COMPOSE,
        ".github/workflows/deploy.yml": WORKFLOW,
        "docs/README.md": "# Homelab\n",
    }
    if with_secret:
        out[f"{k}/services/secret.yaml"] = SECRET
    return out


def make_homelab(path: Path, with_secret: bool = False, remote: bool = True) -> Path:
    repo = make_repo(path, files(with_secret))
    if remote:
        bare = path.parent / (path.name + "-origin.git")
        git(path.parent, "init", "-q", "--bare", "-b", "main", str(bare))
        git(repo, "remote", "add", "origin", str(bare))
        git(repo, "push", "-q", "origin", "main")
    return repo
