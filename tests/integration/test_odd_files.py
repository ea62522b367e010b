"""Fault 55 (issue 23 #9, #10, #12, #16): files that are not the repository's own content as Flux reads it.
A submodule holding manifests is never moved or edited (named, left out with the reason); a gitignored
manifest is named with the .gitignore line; a FIFO is skipped with a line in `left_out` (1.1 used to hang
on it); git-lfs pointers without git-lfs installed are named with "install git-lfs", never a raw git error.
Real CLI, git and kubectl kustomize on temp repos, no cluster."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.helpers import DEPLOYMENT, GIT_ENV, git, item_status, make_repo, run_cli, status_json

ITEMS = ["repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests"]
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: homelab\ndata: {{a: b}}\n"
LOCAL = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: local-only\n  namespace: homelab\nstringData:\n  p: canary-lo\n"


def wiz(repo, env, *args, timeout=300):
    return run_cli("--repo", str(repo), *args, env=env, timeout=timeout)


def test_a_submodule_a_gitignored_manifest_and_a_fifo_are_named_and_left_out(tmp_path, env):
    sub = make_repo(tmp_path / "vendored", {"cm.yaml": CM.format(name="sub")})
    repo = make_repo(tmp_path / "repo", {"apps/web/web.yaml": DEPLOYMENT.format(name="web", ns="homelab"),
                                         ".gitignore": "local-*.yaml\n"})
    subprocess.run(["git", "-C", str(repo), "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub),
                    "apps/vendored"], check=True, capture_output=True, env={**os.environ, **GIT_ENV})
    git(repo, "commit", "-qm", "a submodule")
    (repo / "apps/web/local-only.yaml").write_text(LOCAL)
    os.mkfifo(repo / "apps/web/pipe.yaml")
    res = wiz(repo, env, "run", "1.1", "--set", "option=b", "--yes", timeout=60)  # used to hang on the FIFO
    assert res.returncode == 0, res.stderr
    assert "apps/web/pipe.yaml: a FIFO (named pipe), not a regular file" in res.stdout
    assert "apps/vendored/: a git submodule, holding 1 YAML file(s)" in res.stdout
    assert "apps/web/local-only.yaml: ignored by git (.gitignore:1: local-*.yaml)" in res.stdout
    assert "apps/vendored  ⇒" not in res.stdout  # never planned to move
    for item in ITEMS:
        res = wiz(repo, env, "run", item, "--yes")
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
        assert "lost" not in res.stdout + res.stderr
    data = status_json(repo, env)
    assert all(item_status(data, i)["status"] == "passed" for i in ITEMS)
    assert git(repo / "apps/vendored", "status", "--porcelain") == ""  # the submodule is untouched
    assert (repo / "apps/vendored/cm.yaml").read_text() == CM.format(name="sub")
    res = wiz(repo, env, "run", "secrets.scan", "--set", "secrets=sops", "--yes", timeout=60)
    assert res.returncode == 0 and "local-only" not in res.stdout  # in no commit: nothing to encrypt


@pytest.mark.skipif(shutil.which("git-lfs") is not None, reason="needs a machine without git-lfs")
def test_git_lfs_pointers_without_git_lfs_are_named_and_never_a_raw_git_error(tmp_path, env):
    pointer = ("version https://git-lfs.github.com/spec/v1\noid sha256:"
               "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
    repo = make_repo(tmp_path / "repo", {"apps/web/web.yaml": DEPLOYMENT.format(name="web", ns="homelab"),
                                         "apps/crds/bundle.yaml": pointer,
                                         ".gitattributes": "apps/crds/*.yaml filter=lfs diff=lfs merge=lfs -text\n"})
    # What `git lfs install` leaves in the config, after which git-lfs was removed (or never installed here).
    for k, v in (("filter.lfs.required", "true"), ("filter.lfs.process", "git-lfs filter-process"),
                 ("filter.lfs.smudge", "git-lfs smudge -- %f"), ("filter.lfs.clean", "git-lfs clean -- %f")):
        git(repo, "config", k, v)
    assert wiz(repo, env, "run", "1.1", "--set", "option=a", "--yes").returncode == 0
    res = wiz(repo, env, "run", "repo.cluster-dir", "--yes")
    assert res.returncode == 3, res.stdout + res.stderr
    assert "apps/crds/bundle.yaml: is a git-lfs pointer" in res.stderr and "install git-lfs" in res.stderr
    assert "class.apps/crds=exclude" in res.stderr and "git-lfs: not found" not in res.stderr
    for item in ITEMS:  # left out by the answer, the rest goes on (git itself never trips on the filter)
        res = wiz(repo, env, "run", item, "--set", "class.apps/crds=exclude", "--yes")
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
        assert "git-lfs: not found" not in res.stderr and "Traceback" not in res.stderr
    assert (repo / "apps/crds/bundle.yaml").read_text() == pointer


def test_a_newline_in_a_file_name_is_named_as_the_cause(tmp_path, env):
    """Fault 56 (issue 23 #11): S.2 used to blame .sops.yaml ("no creation rule … matches") and stay stuck."""
    from tests.integration.test_secrets_sops import secret, secret_repo

    repo = secret_repo(tmp_path, {"apps/web/db\n.yaml": secret("db", "canary-newline"),
                                  "apps/web/ok.yaml": secret("ok", "canary-ok")})
    shown = "apps/web/db\\n.yaml"
    assert wiz(repo, env, "run", "1.1", "--set", "option=a", "--yes").returncode == 0
    res = wiz(repo, env, "run", "repo.cluster-dir", "--yes")
    assert res.returncode == 3 and f"{shown}: has a newline or control character in its name" in res.stderr
    assert "rename it (git mv)" in res.stderr and "class.apps/web=exclude" in res.stderr
    outputs = []
    for item, sets in (("secrets.scan", ["--set", "secrets=sops"]), ("secrets.keys", []), ("secrets.convert", [])):
        res = wiz(repo, env, "run", item, *sets, "--yes")
        outputs.append(res.stdout + res.stderr)
        assert "no creation rule" not in res.stdout + res.stderr and "Traceback" not in res.stderr
    assert shown in outputs[0] and "newline" in outputs[0]
    st = item_status(status_json(repo, env), "secrets.convert")
    assert st["status"] != "passed" and shown in st["message"] and "rename it (git mv)" in st["message"]
    assert not any("canary-newline" in o for o in outputs)
    assert (repo / "apps/web/db\n.yaml").read_text() == secret("db", "canary-newline")  # left untouched
