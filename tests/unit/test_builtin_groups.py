"""Issue 21 (master-bogdan): Gateway API objects were taken for built-ins (their group ends in .k8s.io), so 2.x
never asked about the CRDs nothing installs, and 3.0 stopped the journey instead."""
from __future__ import annotations

from wizard.repo.roles import is_builtin_group


def test_groups_the_api_server_serves_itself_are_builtin():
    for g in ("", "apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io", "storage.k8s.io",
              "apiextensions.k8s.io", "admissionregistration.k8s.io"):
        assert is_builtin_group(g), g


def test_crd_groups_under_k8s_io_are_not():
    for g in ("gateway.networking.k8s.io", "snapshot.storage.k8s.io", "metrics.k8s.io", "cluster.x-k8s.io",
              "cert-manager.io", "traefik.io"):
        assert not is_builtin_group(g), g
