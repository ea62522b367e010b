"""1.3 stays true through the later phases (issue 16): compared by object identity, never by path."""
from __future__ import annotations

from wizard.cluster.inventory import InventoryRow
from wizard.phases.prep.inventory import still_true
from wizard.repo.validate import parse_keystr

STORED = {"apps/Deployment/homelab/web": "in repo", "/ConfigMap/homelab/hand-made": "only in cluster",
          "cert-manager.io/ClusterIssuer//le": "only in repo"}


def rows(mapping: dict[str, str]) -> list[InventoryRow]:
    return [InventoryRow(parse_keystr(k), v, ["somewhere.yaml:1"]) for k, v in mapping.items()]


def test_moves_flux_taking_over_and_flux_s_own_objects_keep_it_true():
    after = {**STORED, "apps/Deployment/homelab/web": "managed by Flux",
             "apps/Deployment/flux-system/kustomize-controller": "managed by Flux",
             "kustomize.toolkit.fluxcd.io/Kustomization/flux-system/apps": "only in repo"}
    assert still_true(STORED, rows(after)) == []


def test_what_really_changed_turns_it_red():
    gone = {k: v for k, v in STORED.items() if k != "apps/Deployment/homelab/web"}
    assert still_true(STORED, rows(gone)) == ["apps/Deployment/homelab/web is gone from the cluster and the repo"]
    deleted = {**STORED, "apps/Deployment/homelab/web": "only in repo"}
    assert still_true(STORED, rows(deleted)) == ["apps/Deployment/homelab/web is no longer in the cluster"]
    new = {**STORED, "/ConfigMap/homelab/drifted": "only in cluster"}
    assert still_true(STORED, rows(new)) == ["/ConfigMap/homelab/drifted is new in the cluster"]


def test_what_bootstrap_and_the_wizard_make_in_flux_system_is_expected():
    after = {**STORED, "/Secret/flux-system/flux-system": "only in cluster", "/Secret/flux-system/sops-age": "only in cluster"}
    assert still_true(STORED, rows(after)) == []


def test_a_new_revision_record_of_a_helm_release_2_0_adopted_is_expected():
    """Issue 21: after 2.0 adopts a Helm release, helm-controller upgrades it (revision +1), which
    makes Helm's record of revision 2: made by its release, not by other hands."""
    record = "/Secret/monitoring/sh.helm.release.v1.metrics.v2"
    after = {**STORED, record: "only in cluster", "/ConfigMap/homelab/drifted": "only in cluster"}
    owners = {record: "a Helm release's own record"}
    assert still_true(STORED, rows(after), owners) == ["/ConfigMap/homelab/drifted is new in the cluster"]


def test_an_object_left_out_by_the_owner_s_answer_at_2_x_keeps_it_true():
    """Issue 21 (gandazgul): kube-flannel's PodSecurityPolicy was never in the cluster (1.25 removed
    its API); api-upgrade.…=exclude took it out of git, and 1.3 stayed red."""
    from wizard.phases.prep.inventory import left_out_by_answer

    stored = {**STORED, "policy/PodSecurityPolicy/default/psp.flannel.unprivileged": "only in repo"}
    after = {k: v for k, v in stored.items() if "PodSecurityPolicy" not in k}
    left = left_out_by_answer({"api-upgrade.PodSecurityPolicy//psp.flannel.unprivileged": "exclude",
                               "reject.Secret/apps/db": "exclude", "api-upgrade.Deployment/x/y": "rewrite"})
    assert left == {("PodSecurityPolicy", "psp.flannel.unprivileged"), ("Secret", "db")}
    assert still_true(stored, rows(after), left_out=left) == []
    assert still_true(stored, rows(after)) != []


def test_a_namespaceless_manifest_applied_where_phase_2_placed_it_keeps_it_true():
    """Issue 21 (master-bogdan): the base's Deployment, never in the cluster (the owner's apply refused it), was
    keyed default/…; Flux applied it in the overlay's namespace, and 1.3 called it gone."""
    stored = {**STORED, "apps/Deployment/default/postgresql-deploy": "only in repo"}
    after = {**{k: v for k, v in stored.items() if "postgresql" not in k},
             "apps/Deployment/dev-db/postgresql-deploy": "managed by Flux"}
    assert still_true(stored, rows(after)) == []
