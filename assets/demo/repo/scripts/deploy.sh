#!/usr/bin/env bash
# Apply everything to the cluster, in the order that works.
# Usage: ./scripts/deploy.sh            (needs kubectl pointed at the homelab)
set -euo pipefail
cd "$(dirname "$0")/.."

K8S=infrastructure/kubernetes

echo "==> namespaces"
kubectl apply -f "$K8S/base/namespace.yaml"

echo "==> databases"
kubectl apply -f "$K8S/databases/"
kubectl -n databases rollout status statefulset/postgres --timeout=180s

echo "==> monitoring"
kubectl apply -k "$K8S/monitoring"

echo "==> certificates (needs cert-manager installed first!)"
kubectl apply -f "$K8S/certificates/cluster-issuer.yaml"

echo "==> dns, registry"
kubectl apply -f "$K8S/dns/coredns-custom.yaml"
kubectl apply -f "$K8S/registry/"

echo "==> apps"
kubectl apply -f "$K8S/services/"
kubectl apply -f "$K8S/flowise/"
kubectl apply -f services/homelab-dashboard/k8s/
kubectl apply -f "$K8S/ingress/"

echo "done."
