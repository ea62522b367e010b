"""Issue 21: an object in an API version Kubernetes removed is a declared question from 1.1's preview on
(api-upgrade.<Kind>/<ns>/<name>=rewrite|exclude), never "its CRD is not installed" at 2.4 or 3.0."""
from __future__ import annotations

import json

import yaml

from tests.helpers import NO_CLUSTER, cli_env, git, make_repo, run_cli, write_files
from wizard.flux.ownership_cluster import unprovided_finding
from wizard.repo.layout import build_layout, preview_option_a
from wizard.repo.removed_apis import Served
from wizard.repo.scan import scan

FLANNEL = """\
---
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: psp.flannel.unprivileged
spec:
  privileged: false
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1beta1
metadata:
  name: flannel
rules:
  - apiGroups: ['extensions']
    resources: ['podsecuritypolicies']
    verbs: ['use']
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: flannel
  namespace: kube-system
"""

OLD_WEB = """\
apiVersion: extensions/v1beta1
kind: Deployment
metadata:
  name: web
  namespace: homelab
spec:
  replicas: 1
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: nginx:1.27}]
"""

PSP = "api-upgrade.PodSecurityPolicy//psp.flannel.unprivileged"
ROLE = "api-upgrade.ClusterRole//flannel"


def test_removed_versions_are_asked_with_the_rewrite_first_and_a_psp_can_only_be_left_out(tmp_path):
    write_files(tmp_path, {"install/kube-flannel.yml": FLANNEL})
    lay = build_layout(scan(tmp_path), "a", "homelab")
    qs = {q.key: q for q in lay.needs}
    assert list(qs) == [PSP, ROLE]
    assert [c for c, _ in qs[ROLE].choices] == ["rewrite", "exclude"] and qs[ROLE].default == "rewrite"
    assert [c for c, _ in qs[PSP].choices] == ["exclude"]  # no successor: leaving it out is what leads on
    assert "install/kube-flannel.yml:9: ClusterRole flannel is rbac.authorization.k8s.io/v1beta1, which Kubernetes " \
           "removed in 1.22" in qs[ROLE].prompt
    assert any("Pod Security Admission" in b and "install/kube-flannel.yml:2" in b for b in lay.blocks)
    assert not any("CRD is" in b for b in lay.blocks)


def test_the_answers_plan_a_rewrite_and_leave_the_psp_out_with_its_reason(tmp_path):
    write_files(tmp_path, {"install/kube-flannel.yml": FLANNEL})
    lay = build_layout(scan(tmp_path), "a", "homelab", {PSP: "exclude", ROLE: "rewrite"})
    assert not lay.needs and not lay.blocks
    assert [(u.manifest.where, u.removal.successor) for u in lay.upgrades] == \
        [("install/kube-flannel.yml:9", "rbac.authorization.k8s.io/v1")]
    assert lay.dropped_docs == {"install/kube-flannel.yml": [0]}
    assert [m.kind for u in lay.units for m in u.manifests] == ["ClusterRole", "ServiceAccount"]
    assert any(x.startswith("install/kube-flannel.yml:2: PodSecurityPolicy psp.flannel.unprivileged: left out of "
                            "Flux (api-upgrade.PodSecurityPolicy//psp.flannel.unprivileged=exclude)")
               and "removed in 1.25" in x for x in lay.left_out)


def test_an_answer_that_is_not_a_choice_is_asked_again(tmp_path):
    write_files(tmp_path, {"install/kube-flannel.yml": FLANNEL})
    lay = build_layout(scan(tmp_path), "a", "homelab", {PSP: "rewrite", ROLE: "rewrite"})
    assert [q.key for q in lay.needs] == [PSP]
    assert lay.blocks[0].startswith(f"{PSP}='rewrite' is not one of: exclude; ")


def test_1_1_previews_the_questions_before_anything_is_chosen(tmp_path):
    write_files(tmp_path, {"install/kube-flannel.yml": FLANNEL})
    text = preview_option_a(scan(tmp_path), "homelab").render()
    assert "? install/kube-flannel.yml:9: ClusterRole flannel is rbac.authorization.k8s.io/v1beta1" in text


def test_a_version_the_connected_cluster_still_serves_is_not_asked(tmp_path):
    write_files(tmp_path, {"install/kube-flannel.yml": FLANNEL})
    old = Served(frozenset({"v1", "policy/v1beta1", "rbac.authorization.k8s.io/v1beta1"}),
                 frozenset({("policy/v1beta1", "PodSecurityPolicy"), ("rbac.authorization.k8s.io/v1beta1", "ClusterRole")}))
    assert build_layout(scan(tmp_path), "a", "homelab", served=old).needs == []


def test_3_0_names_a_removed_version_as_such_and_not_as_a_missing_crd():
    psp = yaml.safe_load(FLANNEL.split("---\n")[1])
    f = unprovided_finding(psp, "apps")
    assert f.kind == "rejected" and f.key == "api-upgrade.PodSecurityPolicy//psp.flannel.unprivileged"
    assert "policy/v1beta1, which Kubernetes removed in 1.25, so no CRD can provide it" in f.why
    assert "crd-provider" not in f.fix


def test_2_2_rewrites_the_old_deployment_as_a_previewed_diff_and_phase_2_keeps_the_object(tmp_path):
    """Headless, on a repo as its owner left it: the question stops 2.1 with exit 3 and nothing changed; with
    the first offered answer 2.2 shows the diff, rewrites, and 2.3-2.4 find the same objects."""
    repo = make_repo(tmp_path / "repo", {"web/deployment.yaml": OLD_WEB, "install/kube-flannel.yml": FLANNEL})
    env = cli_env(HOMELAB_WIZARD_DATA=str(tmp_path / "data"), **NO_CLUSTER)

    def wiz(*args):
        return run_cli("--repo", str(repo), *args, env=env)

    assert wiz("run", "prep.structure", "--set", "option=a", "--yes").returncode == 0
    blocked = wiz("run", "repo.cluster-dir", "--yes")
    assert blocked.returncode == 3, blocked.stderr
    assert "api-upgrade.Deployment/homelab/web" in blocked.stderr and git(repo, "status", "--porcelain") == ""
    answers = ["--set", "api-upgrade.Deployment/homelab/web=rewrite", "--set", f"{ROLE}=rewrite",
               "--set", f"{PSP}=exclude"]
    assert wiz("run", "repo.cluster-dir", *answers, "--yes").returncode == 0
    preview = wiz("run", "repo.kustomizations", "--dry-run")
    diff = [ln.removeprefix("     ") for ln in preview.stdout.splitlines()]  # the preview indents each step's detail
    i = diff.index("-apiVersion: extensions/v1beta1")
    assert diff[i + 1] == "+apiVersion: apps/v1"
    assert [ln for ln in diff[i:] if ln.startswith("+  ")][:3] == ["+  selector:", "+    matchLabels:", "+      app: web"]
    for item in ("repo.kustomizations", "repo.apps", "repo.flux-manifests"):
        res = wiz("run", item, "--yes")
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
    status = json.loads(wiz("status", "--json").stdout)
    items = {it["id"]: it for ph in status["phases"] for it in ph["items"]}
    assert items["repo.flux-manifests"]["status"] == "passed", items["repo.flux-manifests"]["message"]
    web = yaml.safe_load((repo / "apps/web/deployment.yaml").read_text())
    assert web["apiVersion"] == "apps/v1" and web["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    flannel = (repo / "install/kube-flannel.yml").read_text()  # infrastructure: it stays
    assert "PodSecurityPolicy" not in flannel.split("rules:")[0] and "rbac.authorization.k8s.io/v1\n" in flannel


def test_an_object_that_cannot_be_cut_out_alone_asks_to_leave_its_folder_out(tmp_path):
    """A PodSecurityPolicy inside a List with other items: removing its document would take them along."""
    listed = ("apiVersion: v1\nkind: List\nitems:\n"
              "  - {apiVersion: policy/v1beta1, kind: PodSecurityPolicy, metadata: {name: old}, spec: {}}\n"
              "  - {apiVersion: v1, kind: ServiceAccount, metadata: {name: keep, namespace: kube-system}}\n")
    write_files(tmp_path, {"psp/list.yaml": listed})
    lay = build_layout(scan(tmp_path), "a", "homelab")
    assert [q.key for q in lay.needs] == ["class.psp"]
    assert "it is one item of a List in psp/list.yaml" in lay.blocks[0] and "answer class.psp=exclude" in lay.blocks[0]


def test_2_4_dry_run_names_a_removed_version_as_an_error_not_a_crd_to_install_with_a_fake_kubectl():
    """The process boundary faked: a kubectl whose cluster answers 404 for /apis/policy/v1beta1 (as 1.25+ does)."""
    from types import SimpleNamespace

    from wizard.repo.validate import server_dry_run
    from wizard.runner import ToolError

    def run(*args, **kw):
        if args[0] == "api-versions":  # a 1.25+ cluster: policy/v1 only
            return SimpleNamespace(stdout="apps/v1\npolicy/v1\nv1\n")
        if args[:2] == ("get", "--raw"):
            raise ToolError(f'Error from server (NotFound): the server could not find the requested resource {args[2]}')
        raise AssertionError(f"nothing is sent to the cluster: {args}")

    psp = yaml.safe_load(FLANNEL.split("---\n")[1])
    session = SimpleNamespace(kubectl=SimpleNamespace(run=run), runner=SimpleNamespace(cluster_changes=0), cache={})
    got = server_dry_run(session, "infrastructure", [psp], set())
    assert got["questions"] == []
    assert got["errors"] == ["PodSecurityPolicy psp.flannel.unprivileged in infrastructure is policy/v1beta1, which "
                             "Kubernetes removed in 1.25, so no CRD can provide it: answer api-upgrade."
                             "PodSecurityPolicy//psp.flannel.unprivileged=exclude and run repo.kustomizations "
                             "again"]
