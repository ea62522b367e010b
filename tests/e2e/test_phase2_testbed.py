"""Phase 2 with a cluster connected: 2.4 adds a server-side dry-run of every Flux path (testbed)."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers import DEPLOYMENT, git, make_repo, run_cli

pytestmark = pytest.mark.testbed

ISSUER = """\
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: {ns}-issuer
spec:
  selfSigned: {{}}
"""


@pytest.fixture
def homelab(testbed, tmp_path, env, request):
    ns = "p2-" + request.node.name.replace("_", "-")[5:28].strip("-")
    repo = make_repo(tmp_path / "repo", {
        "infrastructure/kubernetes/base/namespace.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n",
        "infrastructure/kubernetes/certificates/issuer.yaml": ISSUER.format(ns=ns),
        "infrastructure/kubernetes/services/web.yaml": DEPLOYMENT.format(name="web", ns=ns),
    })
    # Applied by hand, as the user did (the ClusterIssuer never could be: cert-manager is not installed).
    subprocess.run(["kubectl", "apply", "-f", str(repo / "infrastructure/kubernetes/base"),
                    "-f", str(repo / "infrastructure/kubernetes/services")], env=env, check=True, capture_output=True)
    yield repo, ns
    subprocess.run(["kubectl", "delete", "namespace", ns, "--wait=false", "--ignore-not-found"], env=env,
                   capture_output=True)


def wiz(repo, *args, env):
    return run_cli("--repo", str(repo), *args, env=env)


LEAVE_OUT_ISSUER = "class.infrastructure/kubernetes/certificates=exclude"


def phase2(repo, env):
    for args in (["run", "prep.preflight", "--yes"], ["run", "prep.structure", "--set", "option=a", "--yes"],
                 ["run", "repo.cluster-dir", "--set", LEAVE_OUT_ISSUER, "--yes"], ["run", "repo.kustomizations", "--yes"],
                 ["run", "repo.apps", "--yes"], ["run", "repo.flux-manifests", "--yes"]):
        res = wiz(repo, *args, env=env)
        assert res.returncode == 0, f"{args}: {res.stdout}\n{res.stderr}"


SOPS_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: web-auth
  namespace: {ns}
type: Opaque
stringData:
  password: ENC[AES256_GCM,data:bm90LWEtcmVhbC1zZWNyZXQ=,iv:aXY=,tag:dGFn,type:str]
sops:
  age:
    - recipient: age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        ZmFrZQ==
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2026-12-01T00:00:00Z"
  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]
  encrypted_regex: ^(data|stringData)$
  version: 3.9.0
"""


def test_a_kind_nothing_provides_is_asked_before_2_1_and_the_dry_run_passes(homelab, env):
    """Issue 16: a ClusterIssuer whose API the cluster does not serve, and that nothing in the repo
    installs, was only an 'ordering question' while 2.4 passed; Flux then failed infra-configs."""
    repo, ns = homelab
    for args in (["run", "prep.preflight", "--yes"], ["run", "prep.structure", "--set", "option=a", "--yes"]):
        assert wiz(repo, *args, env=env).returncode == 0
    res = wiz(repo, "run", "repo.cluster-dir", "--yes", env=env)
    assert res.returncode == 3, res.stdout + res.stderr
    assert f"ClusterIssuer {ns}-issuer (infrastructure/kubernetes/certificates/issuer.yaml:1)" in res.stderr
    assert LEAVE_OUT_ISSUER in res.stderr and not (repo / "clusters").exists()
    phase2(repo, env)
    res = wiz(repo, "verify", "repo.flux-manifests", "--json", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    r = json.loads(res.stdout)["results"][0]
    assert r["status"] == "passed" and "server-side dry-run" in r["message"]
    dry = {d["path"]: d for d in r["evidence"]["server_dry_run"]}
    assert dry["infrastructure/kubernetes"]["sent"] == 1 and dry["infrastructure/kubernetes"]["errors"] == []
    assert dry["apps"]["sent"] == 1 and dry["apps"]["errors"] == []
    assert r["evidence"].get("questions", []) == []


def test_2_4_leaves_sops_files_to_flux_s_decryption(homelab, env):
    """Issue 16 ("red while fine"): after S.3 the dry-run was sent the encrypted file, failed on the
    unknown field "sops" and dumped the encrypted Secret into the evidence."""
    repo, ns = homelab
    plain = SOPS_SECRET.format(ns=ns).split("stringData:")[0] + "stringData:\n  password: not-a-real-one\n"
    (repo / "infrastructure/kubernetes/services/web-auth.yaml").write_text(plain)
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "a Secret")
    phase2(repo, env)
    # What S.3 does: the same Secret, encrypted in place. Until its Flux Kustomization decrypts, 2.4 says so
    # (issue 21: Flux would stop on it); a run of 2.4 adds the decryption, and the dry-run leaves the file to it.
    (repo / "apps/services/web-auth.yaml").write_text(SOPS_SECRET.format(ns=ns))
    git(repo, "commit", "-qam", "the Secret encrypted")
    res = wiz(repo, "verify", "repo.flux-manifests", "--json", env=env)
    assert res.returncode == 1 and "has no spec.decryption" in res.stdout, res.stdout + res.stderr
    res = wiz(repo, "run", "repo.flux-manifests", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    res = wiz(repo, "verify", "repo.flux-manifests", "--json", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    r = json.loads(res.stdout)["results"][0]
    dry = {d["path"]: d for d in r["evidence"]["server_dry_run"]}
    assert dry["apps"]["left_to_flux_decryption"] == [f"Secret {ns}/web-auth"] and dry["apps"]["errors"] == []
    assert "ENC[" not in res.stdout and "AGE ENCRYPTED" not in res.stdout


def test_server_dry_run_rejection_fails_the_check_naming_the_object(homelab, env):
    """The API server refuses the edited Deployment: 2.4 is not green, and (issue 21) says so as a question naming
    the object, its file:line and the API server's reason, answerable with --set, instead of a raw dry-run error."""
    repo, ns = homelab
    phase2(repo, env)
    f = repo / "apps/services/web.yaml"
    f.write_text(f.read_text().replace("replicas: 1", "replicas: -3"))
    res = wiz(repo, "verify", "repo.flux-manifests", "--json", env=env)
    assert res.returncode in (1, 3), res.stdout + res.stderr
    r = json.loads(res.stdout)["results"][0]
    assert r["status"] in ("failed", "blocked") and "web" in r["message"], r
    assert "apps/services/web.yaml" in r["message"] and "replicas" in r["message"], r
    assert r["evidence"]["questions"] == [f"reject.Deployment/{ns}/web"], r
