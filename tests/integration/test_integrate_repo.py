"""5.1 integrate.docs and 5.2 integrate.no-manual-apply through the CLI on temp repos with a bare remote."""
from __future__ import annotations

import json

import yaml

from tests.helpers import DEPLOYMENT, FLUX_KS, git, item_status, make_repo, push_to_bare_remote, record_prerequisites_passed, run_cli, status_json

WORKFLOW = """\
# Deploys on every push (the user's comment)
name: deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: [self-hosted]
    steps:
      - uses: actions/checkout@v4  # pinned on purpose
      - name: Apply manifests
        run: kubectl apply -k apps/web
      - name: Check
        run: |
          kubectl get nodes
"""

MAKEFILE = """\
# Homelab shortcuts
APPS := apps

.PHONY: apply crds

apply:
\tkubectl apply -k $(APPS)
\tkubectl apply -f $(APPS)/web/deployment.yaml

crds:
\tkubectl apply -f https://example.invalid/crds.yaml
"""


def _files() -> dict[str, str]:
    return {
        "apps/kustomization.yaml": "resources:\n  - web\n",
        "apps/web/kustomization.yaml": "resources:\n  - deployment.yaml\n",
        "apps/web/deployment.yaml": DEPLOYMENT.format(name="web", ns="default"),
        "clusters/homelab/apps.yaml": FLUX_KS,
        ".github/workflows/deploy.yml": WORKFLOW,
        "Makefile": MAKEFILE,
        "scripts/restore.sh": "#!/bin/sh\n# disaster recovery when Flux itself is down\nkubectl apply -k apps/web\n",
        "README.md": "# my homelab\n\nSome notes of mine.\n",
    }


def _repo(tmp_path, files=None):
    repo = make_repo(tmp_path / "repo", files or _files())
    remote = push_to_bare_remote(repo, tmp_path / "remote.git")
    record_prerequisites_passed(repo, "prep.structure", "repo.commit-push")
    return repo, remote


def _verify(repo, item):
    res = run_cli("--repo", str(repo), "verify", item, "--json")
    return res, item_status(json.loads(res.stdout) if res.stdout.strip().startswith("{") else status_json(repo), item)


def test_no_manual_apply_end_to_end(tmp_path):
    repo, remote = _repo(tmp_path)
    res = run_cli("--repo", str(repo), "verify", "integrate.no-manual-apply")
    assert res.returncode == 1, res.stdout + res.stderr
    it = item_status(status_json(repo), "integrate.no-manual-apply")
    assert it["status"] == "failed"
    where = {r["where"] for r in it["evidence"]["remaining"]}
    assert where == {".github/workflows/deploy.yml:12", "Makefile:7", "Makefile:8", "scripts/restore.sh:3"}
    assert {r["where"] for r in it["evidence"]["not_flux_paths"]} == {"Makefile:11"}

    # the preview is a diff and changes nothing
    res = run_cli("--repo", str(repo), "run", "5.2", "--dry-run")
    assert res.returncode == 0, res.stderr
    assert "-\tkubectl apply -k $(APPS)" in res.stdout and "+\tflux reconcile kustomization apps --with-source" in res.stdout
    assert git(repo, "status", "--porcelain") == ""

    # a keep with no reason is refused; a keep with a reason is recorded
    res = run_cli("--repo", str(repo), "run", "5.2", "--yes", "--set", "keep.scripts/restore.sh:3=")
    assert res.returncode == 2, res.stdout + res.stderr
    head0 = git(repo, "rev-parse", "HEAD").strip()
    res = run_cli("--repo", str(repo), "run", "5.2", "--yes", "--set", "manual-apply=reconcile",
                  "--set", "keep.scripts/restore.sh:3=disaster recovery when Flux is down")
    assert res.returncode == 0, res.stdout + res.stderr
    it = item_status(status_json(repo), "integrate.no-manual-apply")
    assert it["status"] == "passed", it
    assert it["evidence"]["kept"][0]["kept_because"] == "disaster recovery when Flux is down"

    # the workflow: round-trip edit, comments kept
    wf = (repo / ".github/workflows/deploy.yml").read_text()
    assert wf.startswith("# Deploys on every push (the user's comment)\n") and "# pinned on purpose" in wf
    steps = yaml.safe_load(wf)["jobs"]["deploy"]["steps"]
    assert steps[1]["run"] == "flux reconcile kustomization apps --with-source"
    mk = (repo / "Makefile").read_text()
    assert "apply:\n\tflux reconcile kustomization apps --with-source\n\ncrds:" in mk
    assert "https://example.invalid/crds.yaml" in mk
    assert "kubectl apply -k apps/web" in (repo / "scripts/restore.sh").read_text()

    # one commit with exactly those files, pushed; the journal knows it
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-parse", "HEAD~1").strip() == head0
    assert sorted(git(repo, "show", "--name-only", "--format=", "HEAD").split()) == [".github/workflows/deploy.yml", "Makefile"]
    assert git(remote, "rev-parse", "main").strip() == git(repo, "rev-parse", "HEAD").strip()

    # nothing left to do; a new apply in CI is found again
    res = run_cli("--repo", str(repo), "run", "5.2", "--dry-run")
    assert "Nothing to change" in res.stdout
    (repo / ".gitlab-ci.yml").write_text("deploy:\n  script:\n    - kustomize build apps | kubectl apply -f -\n")
    res = run_cli("--repo", str(repo), "verify", "5.2")
    assert res.returncode == 1 and ".gitlab-ci.yml:3" in res.stdout + res.stderr


def test_no_manual_apply_refuses_files_with_uncommitted_changes(tmp_path):
    repo, _ = _repo(tmp_path)
    with open(repo / "Makefile", "a") as f:
        f.write("\n# my local change\n")
    res = run_cli("--repo", str(repo), "run", "5.2", "--yes")
    assert res.returncode == 4, res.stdout + res.stderr
    assert "Makefile" in res.stderr + res.stdout and "uncommitted" in res.stderr + res.stdout
    assert "my local change" in (repo / "Makefile").read_text()


def test_no_manual_apply_needs_phase2(tmp_path):
    repo = make_repo(tmp_path / "repo", _files())
    res = run_cli("--repo", str(repo), "run", "5.2", "--yes")
    assert res.returncode == 3, res.stdout + res.stderr


def test_docs_section_generated_previewed_and_updated_in_place(tmp_path):
    files = _files()
    files["CLAUDE.md"] = "# Notes for agents\n\nBe careful.\n"
    repo, remote = _repo(tmp_path, files)
    res = run_cli("--repo", str(repo), "verify", "integrate.docs")
    assert "no 'GitOps with Flux' section in README.md, CLAUDE.md" in res.stdout
    assert item_status(status_json(repo), "integrate.docs")["status"] == "pending"

    res = run_cli("--repo", str(repo), "run", "5.1", "--dry-run")
    assert res.returncode == 0 and "+## GitOps with Flux" in res.stdout and "CLAUDE.md" in res.stdout
    res = run_cli("--repo", str(repo), "run", "5.1", "--yes", "--set", "secrets=sealed-secrets")
    assert res.returncode == 0, res.stdout + res.stderr
    readme = (repo / "README.md").read_text()
    assert readme.startswith("# my homelab\n\nSome notes of mine.\n")
    for want in ("## GitOps with Flux", "| `apps` | `./apps` |", "`apps/my-app/`", "resources:` of `apps/kustomization.yaml`",
                 "kubeseal --cert", "flux get kustomizations", "git revert", "flux suspend kustomization apps"):
        assert want in readme, want
    claude = (repo / "CLAUDE.md").read_text()
    assert claude.startswith("# Notes for agents\n\nBe careful.\n") and "**For agents:** never run `kubectl apply`" in claude
    assert item_status(status_json(repo), "integrate.docs")["status"] == "passed"
    assert git(remote, "rev-parse", "main").strip() == git(repo, "rev-parse", "HEAD").strip()
    assert sorted(git(repo, "show", "--name-only", "--format=", "HEAD").split()) == ["CLAUDE.md", "README.md"]

    # the user adds text after the section; the layout changes: stale, then updated in place
    with open(repo / "README.md", "a") as f:
        f.write("\n## My own section\n\nkept.\n")
    (repo / "clusters/homelab/infra.yaml").write_text(FLUX_KS.replace("name: apps", "name: infra").replace("./apps", "./infra"))
    (repo / "infra").mkdir()
    (repo / "infra/cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "add infra")
    res = run_cli("--repo", str(repo), "verify", "5.1")
    assert res.returncode == 1 and "no longer matches" in res.stdout + res.stderr
    res = run_cli("--repo", str(repo), "run", "5.1", "--yes", "--set", "secrets=sops")
    assert res.returncode == 0, res.stdout + res.stderr
    readme = (repo / "README.md").read_text()
    assert readme.count("## GitOps with Flux") == 1 and "| `infra` | `./infra` |" in readme
    assert readme.endswith("## My own section\n\nkept.\n") and "sops edit" in readme and "kubeseal" not in readme
    res = run_cli("--repo", str(repo), "run", "5.1", "--dry-run")
    assert "Nothing to change" in res.stdout


def test_rerunning_5_1_after_it_passed_changes_nothing_and_stays_passed(tmp_path):
    """Fault (issue 14 item 6): running 5.1 again after it passed crashed with KeyError: 'changes'."""
    repo, remote = _repo(tmp_path)
    res = run_cli("--repo", str(repo), "run", "5.1", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    head = git(repo, "rev-parse", "HEAD").strip()
    res = run_cli("--repo", str(repo), "run", "5.1", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and "Nothing to change" in res.stdout
    assert item_status(status_json(repo), "integrate.docs")["status"] == "passed"
    assert git(repo, "rev-parse", "HEAD").strip() == head
