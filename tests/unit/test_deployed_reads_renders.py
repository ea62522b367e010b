"""Issue 21 (master-bogdan): 4.1 took a kustomize tree's base files as what Flux applies, and called the base's
`default/postgresql-init-sql` missing while the dev overlay renders it as `dev-db/postgresql-init-sql-<hash>`."""
from __future__ import annotations

from types import SimpleNamespace

from wizard.phases.validate.deployed import _repo_objects
from wizard.repo.layout_model import Unit
from wizard.repo.scan import Manifest


def _cm(path: str, ns: str, name: str) -> Manifest:
    return Manifest(path, 1, "v1", "ConfigMap", name, ns, {"apiVersion": "v1", "kind": "ConfigMap",
                                                          "metadata": {"name": name, "namespace": ns}})


def test_a_tree_counts_what_its_root_renders_not_its_base_files():
    base = _cm("k8s/db/base/config-map.yaml", "", "postgresql-init-sql")
    unit = Unit(path="k8s/db", files=[base.path], manifests=[base], tree=True)
    unit.rendered = [_cm("k8s/db/overlays/dev/kustomization.yaml", "dev-db", "postgresql-init-sql-5tm9")]
    ctx = SimpleNamespace(layout=SimpleNamespace(units=[unit], excluded_files=set()))
    meant, excluded = _repo_objects(ctx, {})
    assert [str(k) for k in meant] == [str(unit.rendered[0].key)] and not excluded
