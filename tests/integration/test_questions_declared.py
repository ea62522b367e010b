"""Issue 21 (point "every question is a declared Question"): what a layout step, a block or the scratch
proof needs answered reaches the user as questions `--set` takes, and `run --json` prints them."""
from __future__ import annotations

import json

import pytest

from tests.helpers import NO_CLUSTER, cli_env, git, make_repo, run_cli
from wizard.repo.ops import op_write
from wizard.session import NeedsAnswers, Session

KS = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [service.yaml]\n"
SVC = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: lb\n  namespace: openspeedtest\nspec:\n  type: {type}\n"
       "  ports: [{{port: 80}}]\n")
FILES = {
    "openspeedtest/kustomization.yaml": KS,  # the owner's kustomize tree
    "openspeedtest/service.yaml": SVC.format(type="LoadBalancer"),
    "extra/lb.yaml": SVC.format(type="ClusterIP"),  # the same Service, differently, applied with -f
    "openspeedtest-ns/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: openspeedtest\n",
}


@pytest.fixture
def env(tmp_path):
    return cli_env(**NO_CLUSTER, HOMELAB_WIZARD_DATA=str(tmp_path / "data"))


def wiz(repo, env, *args):
    return run_cli("--repo", str(repo), *args, env=env)


def questions(res) -> dict[str, dict]:
    assert res.returncode == 3, res.stdout + res.stderr
    return {q["key"]: q for q in json.loads(res.stdout)["questions"]}


def test_a_copy_kept_over_a_kustomize_trees_is_a_question_not_a_block(tmp_path, env):
    repo = make_repo(tmp_path / "repo", FILES)
    assert wiz(repo, env, "run", "1.1", "--set", "option=a", "--yes").returncode == 0
    asked = questions(wiz(repo, env, "run", "2.1", "--yes", "--json"))
    dup = asked["duplicate.Service/openspeedtest/lb"]
    # the tree's copy first: the newcomer's first choice never needs the tree edited
    assert [c["value"] for c in dup["choices"]] == ["openspeedtest/kustomization.yaml:1", "extra/lb.yaml:1"]
    asked = questions(wiz(repo, env, "run", "2.1", "--yes", "--json",
                          "--set", "duplicate.Service/openspeedtest/lb=extra/lb.yaml:1"))
    tree = asked["class.openspeedtest"]
    assert "is also rendered by the kustomize tree openspeedtest/" in tree["prompt"]
    assert [c["value"] for c in tree["choices"]] == ["exclude"] and tree["where"] == "openspeedtest/kustomization.yaml:1"
    res = wiz(repo, env, "run", "2.1", "--yes", "--set", "class.openspeedtest=exclude")
    assert res.returncode == 0, res.stderr


def test_a_question_the_scratch_proof_meets_is_raised_as_a_declared_question(tmp_path, monkeypatch):
    """What 2.0 writes can duplicate an object of the repo; the later steps, tried in the scratch copy,
    ask which copy to keep: the same Question the layout asks, not a sentence inside a block."""
    from wizard.phases.repo.proof import prove

    monkeypatch.setenv("KUBECONFIG", NO_CLUSTER["KUBECONFIG"])
    monkeypatch.setenv("HOMELAB_WIZARD_DATA", str(tmp_path / "data"))
    repo = make_repo(tmp_path / "repo", {k: v for k, v in FILES.items() if not k.startswith("extra/")})
    session = Session.open(repo)
    session.store.load()
    session.answers.update({"option": "a", "cluster": "homelab"})
    adopted = op_write("adopted/openspeedtest/lb.yaml", SVC.format(type="NodePort"))
    with pytest.raises(NeedsAnswers) as e:
        prove("repo.adopt", session, [adopted])
    assert "duplicate.Service/openspeedtest/lb" in [q.key for q in e.value.questions]
    assert git(repo, "status", "--porcelain") == ""  # nothing changed in the user's tree
