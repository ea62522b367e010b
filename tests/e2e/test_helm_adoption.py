"""Issue 13 part 2 on the testbed: a Helm release installed by hand is taken over by Flux's
helm-controller as an upgrade of the same release.

The chart is a local one, packaged and indexed with the real helm CLI and served on 127.0.0.1
(tests/testbed/charts.py); source-controller fetches it through a HelmRepository, helm-controller
(a host process) upgrades the release. The wizard's core finds the release in Helm's storage
Secrets and writes the HelmRepository + HelmRelease (+ a values Secret for the credential); the
test applies those files with kubectl, as Flux would, and checks: the HelmRelease is Ready, the
release is at revision +1, every object of the release kept its UID, and the values are the same.
Everything is read from `-o json`; waits report the last state seen.
"""
from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from tests.testbed.charts import CHART, CHART_VERSION, serve_chart_repo
from tests.testbed.procs import tail
from tests.testbed.tools import condition, kubectl_json, run, wait_until
from wizard.cluster import helm_releases
from wizard.repo.helm_adopt import flux_objects
from wizard.runner import Runner
from wizard.session import Session

pytestmark = pytest.mark.testbed

NS = "adopt-helm"  # this test's own namespace (the release, its HelmRelease and its source)
RELEASE = "greeter"
PASSWORD = "hand-set-pw-9f3a"  # a credential in the values: never in a generated file in plaintext


@pytest.fixture
def chart_repo(testbed, env, tmp_path):
    repo = serve_chart_repo(tmp_path / "charts", env)
    yield repo
    repo.stop()


@pytest.fixture
def namespace(testbed, env):
    yield NS
    # The HelmRelease first, so helm-controller does not act on a half-deleted namespace.
    run(["kubectl", "delete", "helmrelease", "--all", "-n", NS, "--ignore-not-found", "--wait=true",
         "--timeout=60s"], env, check=False)
    run(["kubectl", "delete", "namespace", NS, "--ignore-not-found", "--wait=false"], env, check=False)


def _session(testbed, env, tmp_path) -> Session:
    work = tmp_path / "repo"
    work.mkdir()
    subprocess.run(["git", "init", "--quiet", str(work)], check=True)
    runner = Runner(audit_log=tmp_path / "audit.jsonl", base_env=env)
    return Session.open(work, kubeconfig=str(testbed.kubeconfig), context=testbed.context, runner=runner)


def _history(env) -> list[dict]:
    return json.loads(run(["helm", "history", RELEASE, "-n", NS, "-o", "json"], env).stdout)


def _values(env) -> dict:
    return json.loads(run(["helm", "get", "values", RELEASE, "-n", NS, "-o", "json"], env).stdout)


def _uids(env, keys) -> dict[str, str]:
    out = {}
    for k in keys:
        kind = f"{k.kind}.{k.group}" if k.group else k.kind
        obj = kubectl_json(env, "get", kind, k.name, "-n", k.namespace)
        out[str(k)] = obj["metadata"]["uid"]
    return out


def test_a_hand_installed_release_is_adopted_as_an_upgrade_of_the_same_release(testbed, env, tmp_path,
                                                                                chart_repo, namespace):
    run(["helm", "install", RELEASE, str(chart_repo.chart), "-n", NS, "--create-namespace",
         "--set", "greeting=hi-from-hand", "--set", f"auth.password={PASSWORD}", "--wait", "--timeout", "2m"], env)
    before_rev = max(h["revision"] for h in _history(env))
    before_values = _values(env)
    assert before_values == {"greeting": "hi-from-hand", "auth": {"password": PASSWORD}}

    # The core finds the release in Helm's storage, with what it made.
    session = _session(testbed, env, tmp_path)
    found = [r for r in helm_releases.find_releases(session) if r.key == f"{NS}/{RELEASE}"]
    assert len(found) == 1, [r.key for r in helm_releases.find_releases(session)]
    rel = found[0]
    assert (rel.chart, rel.chart_version, rel.revision, rel.status) == (CHART, CHART_VERSION, before_rev, "deployed")
    assert rel.storage_namespace == NS and rel.problem is None
    assert {(k.kind, k.name) for k in rel.objects} == {
        ("Deployment", RELEASE), ("ConfigMap", f"{RELEASE}-config"), ("Service", RELEASE)}
    assert PASSWORD not in repr(rel)
    before_uids = _uids(env, rel.objects)

    # Declared questions: adopt/leave/later, then the repository URL only when adopting.
    qs = {q.key: q for q in helm_releases.questions_for([rel])}
    choice, url_q = qs[f"helm-adopt.{NS}/{RELEASE}"], qs[f"helm-adopt-repo.{NS}/{RELEASE}"]
    answers = {choice.key: choice.validate("adopt"), url_q.key: url_q.validate(chart_repo.url)}
    assert url_q.applies(answers)

    adoption = flux_objects(rel, helm_releases.repo_url(rel, answers), folder=f"apps/{RELEASE}",
                            source_namespace=NS)
    assert adoption.secret_keys == ["auth.password"] and adoption.secret_plaintext
    for path, text in adoption.files.items():
        if path != adoption.secret_file:
            assert PASSWORD not in text, path
    release_doc = yaml.safe_load(adoption.files[f"apps/{RELEASE}/helm-release.yaml"])
    assert release_doc["spec"]["values"] == {"greeting": "hi-from-hand"}

    # Nothing the wizard logged carries the credential (the listing's output is withheld).
    assert PASSWORD not in (tmp_path / "audit.jsonl").read_text()

    manifests = "\n---\n".join(adoption.files[p] for p in sorted(adoption.files))
    run(["kubectl", "apply", "-f", "-"], env, input=manifests)

    def hr():
        return kubectl_json(env, "get", "helmrelease", RELEASE, "-n", NS, check=False)

    def logs() -> str:
        return "\n".join(f"--- last lines of {c}.log ---\n{tail(testbed.logs_dir / f'{c}.log', 30)}"
                         for c in ("source-controller", "helm-controller"))

    def ready():
        c = condition(hr(), "Ready")
        return c if c and c.get("status") == "True" and c.get("observedGeneration") == hr()["metadata"]["generation"] \
            else None

    wait_until("the HelmRelease to be Ready", ready, timeout=180,
               state=lambda: {"helmrelease": (hr() or {}).get("status"),
                              "helmrepository": (kubectl_json(env, "get", "helmrepository", "-n", NS, check=False)
                                                 or {}).get("items", [{}])[0].get("status")},
               logs=logs)

    history = _history(env)
    assert max(h["revision"] for h in history) == before_rev + 1, history
    assert [h["status"] for h in history] == ["superseded", "deployed"], history
    assert hr()["status"]["history"][0]["version"] == before_rev + 1
    assert _uids(env, rel.objects) == before_uids
    assert _values(env) == before_values

    # Once Flux manages it, the release is no longer offered for adoption.
    assert not [r for r in helm_releases.find_releases(session) if r.key == f"{NS}/{RELEASE}"]
