"""Issue 3's acceptance test: real flux, kubectl, kubeseal, sops and age against the testbed.

Flux is bootstrapped over plain http into an empty repo on the testbed's git server; the host
source-/kustomize-controllers do the reconciling (KWOK only fakes their Deployments as Ready).
Everything is read from ``-o json`` and ``git ls-remote``. Loopback only: no kubectl
logs/exec/port-forward/proxy, kubeseal only with ``--cert`` (see tests/testbed/cluster.py).
"""
from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

import pytest
import yaml

from tests.testbed.procs import tail
from tests.testbed.tools import GitWorkdir, condition, kubectl_json, remote_head, run, wait_until

pytestmark = pytest.mark.testbed

NS = "flux-system"
SYNC_PATH = "clusters/test"
DEMO_NS = "testbed-demo"


@dataclass
class Fleet:
    """The bootstrapped repo, a working clone and helpers to wait for Flux."""

    tb: object
    url: str
    work: GitWorkdir

    @property
    def env(self) -> dict[str, str]:
        return self.tb.env

    def logs(self) -> str:
        out = []
        for c in ("source-controller", "kustomize-controller"):
            out.append(f"--- last 20 lines of {c}.log ---\n{tail(self.tb.logs_dir / f'{c}.log')}")
        return "\n".join(out)

    def get(self, *args: str) -> dict | None:
        return kubectl_json(self.env, "get", *args, check=False)

    def annotate_requested(self, kind: str, name: str) -> str:
        """Ask Flux to reconcile now (what `flux reconcile` does): the requestedAt annotation."""
        token = f"testbed-{time.time_ns()}"
        run(["kubectl", "annotate", "--overwrite", "-n", NS, kind, name,
             f"reconcile.fluxcd.io/requestedAt={token}"], self.env)
        return token

    def wait_applied(self, commit: str, name: str = "flux-system", timeout: float = 180) -> dict:
        """Fetch now, then wait until Kustomization ``name`` is Ready at ``commit``."""
        self.annotate_requested("gitrepository", "flux-system")
        want = f"main@sha1:{commit}"

        def ready_at_commit():
            ks = self.get("kustomization", "-n", NS, name)
            st = (ks or {}).get("status") or {}
            ok = (condition(ks, "Ready") or {}).get("status") == "True"
            return ks if ok and st.get("lastAppliedRevision") == want else None

        return wait_until(f"Kustomization {name} Ready at {want}", ready_at_commit, timeout=timeout,
                          state=lambda: self.get("kustomization", "-n", NS, name), logs=self.logs)

    def push(self, files: dict[str, str], message: str) -> str:
        for rel, text in files.items():
            self.work.write(rel, text)
        return self.work.commit_push(message)


def _b64decode_data(secret: dict) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


@pytest.fixture(scope="module")
def fleet(testbed, tmp_path_factory) -> Fleet:
    url = testbed.create_git_repo("fleet")
    # --token-auth keeps the http URL (otherwise bootstrap rewrites it to ssh:// with a deploy
    # key). The git server ignores credentials, so the password is a dummy; it is passed via
    # GIT_PASSWORD (flux reads it from there) rather than on the command line.
    env = {**testbed.env, "GIT_PASSWORD": "dummy-password-not-checked"}
    run(["flux", "bootstrap", "git", f"--url={url}", "--allow-insecure-http", "--token-auth",
         "--username=git", "--branch=main", f"--path={SYNC_PATH}", "--silent", "--timeout=5m"],
        env, timeout=420)
    work = GitWorkdir(url, tmp_path_factory.mktemp("fleet") / "fleet", testbed.env).clone()
    return Fleet(testbed, url, work)


def test_bootstrap_check_and_ready_at_pushed_commit(fleet, testbed):
    env = testbed.env
    version = json.loads(run(["kubectl", "version", "-o", "json"], env).stdout)
    assert version["serverVersion"]["gitVersion"] == "v1.36.3"  # stamped build, or flux check fails

    head = remote_head(fleet.url, env)
    files = run(["git", "-C", str(fleet.work.path), "ls-tree", "-r", "--name-only", "origin/main"], env).stdout.split()
    assert f"{SYNC_PATH}/flux-system/gotk-components.yaml" in files
    assert f"{SYNC_PATH}/flux-system/gotk-sync.yaml" in files

    run(["flux", "check"], env, timeout=120)  # its exit code is the verdict

    repo = kubectl_json(env, "get", "gitrepository", "-n", NS, "flux-system")
    assert repo["spec"]["url"] == fleet.url  # http kept, not rewritten to ssh
    ks = fleet.wait_applied(head)
    assert ks["status"]["lastAppliedRevision"] == f"main@sha1:{head}"
    assert repo["status"]["artifact"]["url"].startswith(f"http://127.0.0.1:{testbed.ports['source_storage']}/")
    for name in ("source-controller", "kustomize-controller", "notification-controller"):
        dep = kubectl_json(env, "get", "deployment", "-n", NS, name)
        assert (condition(dep, "Available") or {}).get("status") == "True", name  # KWOK-faked


def test_pushed_manifest_is_applied_with_flux_labels(fleet):
    commit = fleet.push({
        f"{SYNC_PATH}/demo/namespace.yaml": yaml.safe_dump(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": DEMO_NS}}),
        f"{SYNC_PATH}/demo/configmap.yaml": yaml.safe_dump(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "demo", "namespace": DEMO_NS},
             "data": {"color": "blue"}}),
    }, "demo configmap")
    fleet.wait_applied(commit)
    cm = kubectl_json(fleet.env, "get", "configmap", "-n", DEMO_NS, "demo")
    assert cm["data"] == {"color": "blue"}
    labels = cm["metadata"]["labels"]
    assert labels["kustomize.toolkit.fluxcd.io/name"] == "flux-system"
    assert labels["kustomize.toolkit.fluxcd.io/namespace"] == NS


def test_drift_is_reverted_after_requested_reconcile(fleet):
    env = fleet.env
    if not kubectl_json(env, "get", "configmap", "-n", DEMO_NS, "demo", check=False):
        test_pushed_manifest_is_applied_with_flux_labels(fleet)  # when run alone
    run(["kubectl", "patch", "configmap", "-n", DEMO_NS, "demo", "--type=merge",
         "-p", json.dumps({"data": {"color": "red"}})], env)
    assert kubectl_json(env, "get", "configmap", "-n", DEMO_NS, "demo")["data"]["color"] == "red"

    token = fleet.annotate_requested("kustomization", "flux-system")

    def handled():
        ks = fleet.get("kustomization", "-n", NS, "flux-system")
        st = (ks or {}).get("status") or {}
        return st.get("lastHandledReconcileAt") == token and (condition(ks, "Ready") or {}).get("status") == "True"

    wait_until(f"flux-system to handle requestedAt={token}", handled, timeout=120,
               state=lambda: fleet.get("kustomization", "-n", NS, "flux-system"), logs=fleet.logs)
    assert kubectl_json(env, "get", "configmap", "-n", DEMO_NS, "demo")["data"] == {"color": "blue"}


def test_sealed_secret_becomes_real_secret(fleet, testbed, tmp_path):
    env = fleet.env
    values = {"username": "admin", "password": "s3cr3t-sealed-value"}
    secret = run(["kubectl", "create", "secret", "generic", "sealed-demo", "-n", DEMO_NS, "--dry-run=client",
                  "-o", "json", *[f"--from-literal={k}={v}" for k, v in values.items()]], env).stdout
    cert = testbed.sealed_secrets_cert_path
    assert cert.read_text().startswith("-----BEGIN CERTIFICATE-----")
    # --cert: sealing is offline; kubeseal must never reach the controller via the apiserver proxy.
    sealed = run(["kubeseal", "--cert", str(cert), "--format", "yaml"], env, input=secret).stdout
    assert values["password"] not in sealed
    doc = yaml.safe_load(sealed)
    assert doc["kind"] == "SealedSecret" and set(doc["spec"]["encryptedData"]) == set(values)

    commit = fleet.push({f"{SYNC_PATH}/demo/sealed-secret.yaml": sealed}, "sealed secret")
    fleet.wait_applied(commit)

    def unsealed():
        s = kubectl_json(env, "get", "secret", "-n", DEMO_NS, "sealed-demo", check=False)
        return s if s and _b64decode_data(s) == values else None

    s = wait_until("the sealed-secrets controller to create Secret sealed-demo", unsealed, timeout=90,
                   state=lambda: kubectl_json(env, "get", "sealedsecret", "-n", DEMO_NS, "sealed-demo", check=False),
                   logs=lambda: tail(testbed.logs_dir / "sealed-secrets-controller.log"))
    assert s["metadata"]["ownerReferences"][0]["kind"] == "SealedSecret"


def test_sops_age_secret_lands_decrypted(fleet, testbed, tmp_path):
    env = fleet.env
    key_file = tmp_path / "age.key"
    run(["age-keygen", "-o", str(key_file)], env)
    key = key_file.read_text()
    recipient = next(line.split(":", 1)[1].strip() for line in key.splitlines() if line.startswith("# public key:"))
    # The private key goes to the cluster through stdin, never through argv or the repo.
    r = run(["kubectl", "create", "secret", "generic", "sops-age", "-n", NS, "--dry-run=client", "-o", "json",
             "--from-file=identity.agekey=/dev/stdin"], env, input=key)
    run(["kubectl", "apply", "-f", "-"], env, input=r.stdout)

    values = {"token": "s0ps-plain-value", "url": "https://example.invalid/hook"}
    plain = tmp_path / "secret.yaml"  # plaintext stays outside the repo
    plain.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Secret",
                                     "metadata": {"name": "sops-demo", "namespace": DEMO_NS},
                                     "type": "Opaque", "stringData": values}))
    enc = run(["sops", "--encrypt", "--age", recipient, "--encrypted-regex", "^(data|stringData)$",
               "--input-type", "yaml", "--output-type", "yaml", str(plain)], env).stdout
    assert "ENC[" in enc and values["token"] not in enc

    ks = {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
          "metadata": {"name": "sops-demo", "namespace": NS},
          "spec": {"interval": "10m", "path": "./apps/sops", "prune": True,
                   "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                   "decryption": {"provider": "sops", "secretRef": {"name": "sops-age"}}}}
    # The encrypted file lives outside clusters/test: only the decrypting Kustomization reads it.
    commit = fleet.push({"apps/sops/secret.enc.yaml": enc, f"{SYNC_PATH}/sops-demo.yaml": yaml.safe_dump(ks)},
                        "sops secret")
    fleet.wait_applied(commit)
    fleet.wait_applied(commit, name="sops-demo")
    s = kubectl_json(env, "get", "secret", "-n", DEMO_NS, "sops-demo")
    assert _b64decode_data(s) == values
    assert s["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] == "sops-demo"


def test_every_socket_of_the_testbed_is_loopback(fleet, testbed):
    """The loopback-only rule, checked on the running processes after all the traffic above."""
    import ipaddress

    from tests.testbed.procs import group_members, inet_sockets

    pids = [m for p in testbed.procs for m in group_members(p.pid)]
    socks = inet_sockets(pids)
    assert any(s["state"] == "0A" for s in socks)  # sanity: the listeners are visible (0A = LISTEN)
    names = {m: p.name for p in testbed.procs for m in group_members(p.pid)}
    bad = []
    for s in socks:
        local, remote = ipaddress.ip_address(s["local"][0]), ipaddress.ip_address(s["remote"][0])
        if not local.is_loopback or not (remote.is_loopback or remote.is_unspecified):
            bad.append({**s, "component": names.get(s["pid"])})
    assert not bad, f"non-loopback sockets: {bad}"


def test_the_session_testbed_has_a_run_dir_and_ports_of_its_own(testbed):
    """Issue 14 item 11: `make testbed-up` (default run dir, ports from 17300) and a test run never share
    a run dir or a port, so `make testbed-down` cannot kill the test run's control plane."""
    from tests.testbed.cluster import default_run_dir
    from tests.testbed.ports import allocate

    assert testbed.run_dir != default_run_dir().resolve()
    assert not set(testbed.ports.values()) & set(allocate(None).values())
