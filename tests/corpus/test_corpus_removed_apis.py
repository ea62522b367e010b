"""Issue 21 on a real repo: gandazgul's kube-flannel.yml (rbac v1beta1, a PodSecurityPolicy) as its owner
left it. 2.1 asks about each object in a removed API version, naming file:line, before anything changes
(never "its CRD is not installed"); answering each with the first offered choice leads on, and 2.2
rewrites only those documents."""
from __future__ import annotations

import re

import pytest
import yaml

from tests.corpus import driver
from tests.helpers import git

pytestmark = pytest.mark.corpus

NAME = "gandazgul__k8s-infrastructure"
FLANNEL = "install-k8s/kube-flannel.yml"


@pytest.fixture
def laid_out():
    if NAME not in driver.repos():
        pytest.skip(f"{NAME} is not in the corpus at {driver.CORPUS}")


def first_choices(stderr: str) -> dict[str, str]:
    """What a newcomer answers: the first choice of each question the block lists (`--set KEY=<a | b>`)."""
    return {k: v.split(" | ")[0] for k, v in re.findall(r"--set (\S+)=<([^>]+)>", stderr)}


def test_removed_versions_are_asked_by_file_line_and_the_first_choice_leads_on(laid_out, tmp_path):
    asked = driver.run_repo(NAME, "a", tmp_path / "ask", answers={}, items=["repo.cluster-dir"])
    step = asked.step("repo.cluster-dir")
    assert step.rc == 3, step.stderr
    assert f"{FLANNEL}:49: ClusterRole flannel is rbac.authorization.k8s.io/v1beta1, which Kubernetes removed in " \
           "1.22" in step.stderr
    assert f"{FLANNEL}:2: PodSecurityPolicy psp.flannel.unprivileged is policy/v1beta1" in step.stderr
    assert "CRD is" not in step.stderr and git(tmp_path / "ask/repo", "status", "--porcelain") == ""
    answers = first_choices(step.stderr)
    assert answers == {"api-upgrade.PodSecurityPolicy//psp.flannel.unprivileged": "exclude",
                       "api-upgrade.ClusterRole//flannel": "rewrite",
                       "api-upgrade.ClusterRoleBinding//flannel": "rewrite"}

    done = driver.run_repo(NAME, "a", tmp_path / "go", answers=answers,
                           items=["repo.cluster-dir", "repo.kustomizations"])
    assert [s.status for s in done.steps] == ["passed"] * 3, [(s.item, s.message) for s in done.steps]
    before = (driver.CORPUS / NAME / FLANNEL).read_text()
    after = (tmp_path / "go/repo" / FLANNEL).read_text()
    docs = [d for d in yaml.safe_load_all(after) if d]
    assert [(d["kind"], d["apiVersion"]) for d in docs][:2] == [("ClusterRole", "rbac.authorization.k8s.io/v1"),
                                                               ("ClusterRoleBinding", "rbac.authorization.k8s.io/v1")]
    assert "PodSecurityPolicy" not in [d["kind"] for d in docs]
    # Everything after the RBAC (the ConfigMap with its embedded JSON, the DaemonSets) is byte for byte the owner's.
    tail = before[before.index("kind: ServiceAccount"):]
    assert after.endswith(tail)
    said = done.step("repo.kustomizations").stdout
    assert "left out: install-k8s/kube-flannel.yml:2: PodSecurityPolicy psp.flannel.unprivileged: left out of Flux" in said
