"""Fault 54 (issue 23 #7, #8): manifests are read as UTF-8 with or without a byte-order mark; any other
encoding is a block naming the file and the encoding, in every item, the secrets scan included. Real CLI,
git, sops and age on temp repos, no cluster."""
from __future__ import annotations

from tests.helpers import git, item_status, run_cli, status_json
from tests.integration.test_secrets_sops import MIXED, everything_written, secret, secret_repo, sops_status

PHASE2 = ["repo.cluster-dir", "repo.kustomizations", "repo.apps", "repo.flux-manifests"]
BOM = "\ufeff"
VALUE = "canary-" + "b0m-5ecret"


def wiz(repo, env, *args):
    return run_cli("--repo", str(repo), *args, env=env)


def test_utf8_files_with_a_byte_order_mark_convert_once_and_a_rerun_passes(tmp_path, env):
    secret_first = MIXED.split("---\n")[1] + "---\n" + MIXED.split("---\n")[0]  # split: Secret, then ConfigMap
    repo = secret_repo(tmp_path, {"apps/web/a.yaml": BOM + secret("a", VALUE + "-a"),
                                  "apps/web/mixed.yaml": BOM + secret_first.replace("canary-", VALUE + "-m-")})
    base = git(repo, "rev-parse", "HEAD").strip()
    outputs = []
    for item, sets in (("prep.structure", ["--set", "option=a"]), ("secrets.scan", ["--set", "secrets=sops"]),
                       ("secrets.keys", []), ("secrets.convert", []), ("secrets.convert", [])):
        res = wiz(repo, env, "run", item, *sets, "--yes")
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
        outputs += [res.stdout, res.stderr]
    assert sops_status(repo, "apps/web/a.yaml") and sops_status(repo, "apps/web/mixed-secrets.sops.yaml")
    assert item_status(status_json(repo, env), "secrets.convert")["status"] == "passed"
    for item in PHASE2:
        res = wiz(repo, env, "run", item, "--yes")
        assert res.returncode == 0, f"{item}: {res.stdout}\n{res.stderr}"
    assert VALUE not in everything_written(repo, outputs, base)


def test_a_latin1_secret_file_is_named_with_its_encoding_and_never_passes_as_nothing_left(tmp_path, env):
    latin = ("# Mot de passe de la base de donn\xe9es\n" + secret("db", VALUE)).encode("latin-1")
    repo = secret_repo(tmp_path, {})
    (repo / "apps/legacy").mkdir(parents=True)
    (repo / "apps/legacy/db.yaml").write_bytes(latin)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a latin-1 file")
    assert wiz(repo, env, "run", "prep.structure", "--set", "option=a", "--yes").returncode == 0
    for item in PHASE2:
        res = wiz(repo, env, "run", item, "--yes")
        assert res.returncode == 3, f"{item}: {res.stdout}\n{res.stderr}"
        assert "apps/legacy/db.yaml:1: is not UTF-8" in res.stderr and "latin-1" in res.stderr, res.stderr
        assert "iconv" in res.stderr and "class.apps/legacy=exclude" in res.stderr
    res = wiz(repo, env, "run", "secrets.scan", "--set", "secrets=sops", "--yes")
    assert "apps/legacy/db.yaml" in res.stdout and "not UTF-8" in res.stdout, res.stdout
    assert wiz(repo, env, "run", "secrets.keys", "--yes").returncode == 0
    # Its folder left out of Flux: Phase 2 goes on, and S.3 still names the file, never "nothing left".
    res = wiz(repo, env, "run", "repo.kustomizations", "--set", "class.apps/legacy=exclude", "--yes")
    assert res.returncode == 0, res.stderr
    res = wiz(repo, env, "run", "secrets.convert", "--yes")
    st = item_status(status_json(repo, env), "secrets.convert")
    assert st["status"] != "passed" and "no plaintext Secrets left" not in res.stdout + res.stderr
    assert "apps/legacy/db.yaml" in st["message"] and "not UTF-8" in st["message"], st["message"]
    assert VALUE not in res.stdout + res.stderr and "Traceback" not in res.stderr
