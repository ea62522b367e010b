"""5.2 building blocks: finding kubectl apply in scripts/CI, resolving targets, rewriting (comments kept)."""
from __future__ import annotations

from pathlib import Path

import yaml

from wizard.integrate import manual_apply as ma
from wizard.integrate.common import FluxKs, Ownership


def _own(repo: Path, moves=None) -> Ownership:
    from wizard.phases.secrets.flux_paths import reachable_files
    from wizard.repo.scan import scan

    files = sorted(scan(repo).files)
    ks = [FluxKs("infra", "flux-system", "infra", "clusters/homelab/infra.yaml"),
          FluxKs("apps", "flux-system", "apps", "clusters/homelab/apps.yaml", ["infra"])]
    return Ownership(ks, {k.name: reachable_files(repo, k.path, files) for k in ks}, moves or {})


def _write(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\n  namespace: default\n"


def _repo(tmp_path: Path) -> Path:
    _write(tmp_path, {"apps/web/cm.yaml": CM.format(n="web"), "infra/ns.yaml": CM.format(n="ns"),
                      "other/thing.yaml": CM.format(n="other")})
    return tmp_path


def test_segments_flags_pipes_and_variables():
    segs = ma.segments('cd x && kubectl --context home -n a apply --server-side -f "$D/web" | tee log')
    assert [(s.verb, s.targets) for s in segs] == [("apply", ["$D/web"])]
    segs = ma.segments("kustomize build apps/web | kubectl apply -f -")
    assert segs[0].pipe and segs[0].targets == ["apps/web"]
    segs = ma.segments("kubectl kustomize apps/web | kubectl apply -f -")
    assert segs[0].pipe and segs[0].targets == ["apps/web"]
    assert ma.segments("kubectl -n a rollout status deploy/x; kubectl diff -k apps") == []
    assert ma.segments("kubectl create namespace foo") == []  # no manifest path
    assert [s.targets for s in ma.segments("kubectl replace --force --filename=apps/web/cm.yaml")] == [["apps/web/cm.yaml"]]
    assert [s.targets for s in ma.segments("\tkubectl apply -f $(K8S)/base -k ${X}/y")] == [["$(K8S)/base", "${X}/y"]]
    assert ma.expand("$(K8S)/a ${B:-b} $C {{.D}} ${{ env.E }}", {"K8S": "k", "C": "c", "D": "d", "E": "e"}) == "k/a b c d e"


def test_find_classifies_owned_unknown_and_external(tmp_path):
    repo = _repo(tmp_path)
    _write(repo, {"deploy.sh": "#!/bin/sh\nD=apps\nkubectl apply -f \"$D/web\"\nkubectl apply -f $ELSEWHERE/x\n"
                               "kubectl apply -f https://example.invalid/crds.yaml\nkubectl apply -f other/\n"
                               "# kubectl apply -f apps/ (a comment)\ncat x | kubectl apply -f -\n"})
    fs = ma.find(repo, _own(repo))
    got = {(f.line, f.status, tuple(f.owners)) for f in fs}
    assert got == {(3, "owned", ("flux-system/apps",)), (4, "unknown", ()), (5, "external", ()),
                   (6, "external", ()), (8, "unknown", ())}


def test_moved_folders_are_followed(tmp_path):
    repo = _repo(tmp_path)
    _write(repo, {"Makefile": "apply:\n\tkubectl apply -f k8s/web/\n"})
    fs = ma.find(repo, _own(repo, moves={"k8s/web": "apps/web"}))
    assert [(f.status, f.owners, f.resolved) for f in fs] == [("owned", ["flux-system/apps"], ["apps/web"])]


def test_makefile_reconcile_per_target_and_dedup(tmp_path):
    repo = _repo(tmp_path)
    mk = ("K8S := apps\n\napply: ## everything\n\t@kubectl apply -f $(K8S)/web\n\tkubectl apply -f infra/\n"
          "\tkubectl apply -f apps/web/cm.yaml\n\nweb:\n\tkubectl apply -f apps/web && echo ok\n")
    _write(repo, {"Makefile": mk})
    fs = ma.find(repo, _own(repo))
    d = ma.decider("reconcile", set(), {f.command: f for f in fs if f.status == "owned"})
    out = ma.rewrite_file(mk, "make", d, "Makefile")
    assert out == ("K8S := apps\n\napply: ## everything\n\t@flux reconcile kustomization apps --with-source\n"
                   "\tflux reconcile kustomization infra --with-source\n\n"
                   "web:\n\tflux reconcile kustomization apps --with-source && echo ok\n")
    d = ma.decider("remove", {"kubectl apply -f infra/"}, {f.command: f for f in fs if f.status == "owned"})
    out = ma.rewrite_file(mk, "make", d, "Makefile")
    assert "\tkubectl apply -f infra/\n" in out and "$(K8S)/web" not in out and "cm.yaml" not in out
    # a command inside a chain is replaced even in remove mode (dropping it would change the chain)
    assert "flux reconcile kustomization apps --with-source && echo ok" in out


WORKFLOW = """\
# Deploy on push (a top comment)
name: deploy
on:
  push:
    branches: [main]
env:
  DIR: apps/web
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4   # keep me
      - name: Apply
        run: kubectl apply -k apps/web
      - name: Mixed
        run: |
          # shell comment
          kubectl apply -f ${{ env.DIR }}
          kustomize build infra | kubectl apply -f -
          echo done
"""


def test_github_workflow_round_trip_keeps_comments(tmp_path):
    repo = _repo(tmp_path)
    _write(repo, {".github/workflows/deploy.yml": WORKFLOW})
    fs = ma.find(repo, _own(repo))
    assert [(f.line, f.status) for f in fs] == [(14, "owned"), (18, "owned"), (19, "owned")]
    owned = {f.command: f for f in fs}
    out = ma.rewrite_file(WORKFLOW, "github", ma.decider("remove", set(), owned), "x")
    assert out.startswith("# Deploy on push (a top comment)\n") and "# keep me" in out and "# shell comment" in out
    doc = yaml.safe_load(out)
    steps = doc["jobs"]["deploy"]["steps"]
    assert [s.get("name") for s in steps] == [None, "Mixed"]  # the step left empty is gone
    assert steps[1]["run"] == "# shell comment\necho done\n"
    out = ma.rewrite_file(WORKFLOW, "github", ma.decider("reconcile", set(), owned), "x")
    steps = yaml.safe_load(out)["jobs"]["deploy"]["steps"]
    assert steps[1]["run"] == "flux reconcile kustomization apps --with-source"
    assert steps[2]["run"] == ("# shell comment\nflux reconcile kustomization apps --with-source\n"
                               "flux reconcile kustomization infra --with-source\necho done\n")


def test_gitlab_and_taskfile_items(tmp_path):
    repo = _repo(tmp_path)
    gl = "deploy:\n  script:\n    - kubectl apply -k apps/web  # old way\n    - echo hi\n"
    tf = "version: '3'\ntasks:\n  up:\n    cmds:\n      - kubectl apply -f infra/\n"
    _write(repo, {".gitlab-ci.yml": gl, "Taskfile.yml": tf})
    fs = ma.find(repo, _own(repo))
    assert {(f.file, f.kind) for f in fs} == {(".gitlab-ci.yml", "gitlab"), ("Taskfile.yml", "taskfile")}
    owned = {f.command: f for f in fs}
    assert yaml.safe_load(ma.rewrite_file(gl, "gitlab", ma.decider("remove", set(), owned), "x")) == \
        {"deploy": {"script": ["echo hi"]}}
    out = ma.rewrite_file(tf, "taskfile", ma.decider("reconcile", set(), owned), "x")
    assert out == "version: '3'\ntasks:\n  up:\n    cmds:\n      - flux reconcile kustomization infra --with-source\n"


def test_candidate_files(tmp_path):
    _write(tmp_path, {"bin/deploy": "#!/usr/bin/env bash\nkubectl apply -f apps\n", "README.md": "kubectl apply -f apps\n",
                      "justfile": "up:\n  kubectl apply -f apps\n", "ci/x.mk": "", ".github/workflows/a.yaml": "",
                      "node_modules/x.sh": ""})
    kinds = dict(ma.candidate_files(tmp_path))
    assert kinds == {"bin/deploy": "shell", "justfile": "just", "ci/x.mk": "make", ".github/workflows/a.yaml": "github"}
