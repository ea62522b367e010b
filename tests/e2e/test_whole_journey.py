"""The whole journey stays true (issue 16): the demo, applied by hand to a private testbed with its
PVCs and Secrets, taken headless through every item of Phases 1-4 with SOPS. Afterwards
`homelab-wizard verify` (all items) finds every item of Phases 1-4 and S passed or skipped with a
reason, and a second verify from a new process finds the same; then the TUI, opened on the same
repo (Pilot), verifies all from home and its Flux status view shows nothing needing attention.
Loopback only: kubectl get/apply/annotate/patch and flux diff, never logs/exec/port-forward/proxy.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.homelab import CANARY, kubectl_json, wiz
from tests.helpers import git, status_json

pytestmark = pytest.mark.testbed

PHASES_1_TO_4 = ("prep.", "repo.", "secrets.", "bootstrap.", "validate.")


def hand_applied_demo(tb, tmp: Path, env: dict) -> tuple[Path, str]:
    """`homelab-wizard demo`, pushed to the testbed's git server and applied the way its README says
    (folder by folder; the ClusterIssuer fails, as it does for its owner without cert-manager)."""
    repo = tmp / "demo"
    wiz(tmp, "demo", str(repo), env=env)
    url = tb.create_git_repo("homelab")
    git(repo, "remote", "add", "origin", url)
    subprocess.run(["git", "-C", str(repo), "push", "-q", "origin", "main"], env=env, check=True, capture_output=True)
    k8s = repo / "infrastructure/kubernetes"
    applies = [["-f", k8s / "base/namespace.yaml"], ["-f", k8s / "databases"], ["-k", k8s / "monitoring"],
               ["-f", k8s / "dns"], ["-f", k8s / "registry"], ["-f", k8s / "services"], ["-f", k8s / "flowise"],
               ["-f", repo / "services/homelab-dashboard/k8s"], ["-f", k8s / "ingress"]]
    for flag, path in applies:
        subprocess.run(["kubectl", "apply", flag, str(path)], env=env, check=True, capture_output=True)
    return repo, url


def items_of(data: dict) -> dict[str, dict]:
    return {it["id"]: it for ph in data["phases"] for it in ph["items"]}


def not_green(data: dict) -> dict[str, str]:
    return {i: f"{it['status']}: {it.get('message', '')[:300]}" for i, it in items_of(data).items()
            if i.startswith(PHASES_1_TO_4) and it["status"] not in ("passed", "skipped")}


@pytest.fixture(scope="module")
def journey(testbed_factory, tmp_path_factory):
    """The demo through every item of Phases 1-4 with SOPS, headless, as a user takes it."""
    tmp = tmp_path_factory.mktemp("journey")
    tb = testbed_factory("journey")
    env = {**tb.env, "HOMELAB_WIZARD_DATA": str(tmp / "data"), "GIT_PASSWORD": CANARY}
    repo, url = hand_applied_demo(tb, tmp, env)

    def run(item, *args, ok=(0,)):
        return wiz(repo, "run", item, *args, "--yes", env=env, ok=ok)

    run("prep.preflight")
    run("prep.structure", "--set", "option=a", "--set", "cluster=homelab")
    run("prep.backup")
    run("prep.inventory")
    # The demo's ClusterIssuers need cert-manager, which neither the repo nor the cluster has: asked
    # before anything changes (Flux would fail infra-configs and, through dependsOn, the apps).
    asked = run("repo.cluster-dir", ok=(3,))
    assert "class.infrastructure/kubernetes/certificates=exclude" in asked.stderr, asked.stderr
    assert "ClusterIssuer letsencrypt-staging (infrastructure/kubernetes/certificates/cluster-issuer.yaml:" in asked.stderr
    assert git(repo, "status", "--porcelain") == "?? docs/cluster-inventory.md\n"  # 1.3's report, nothing else
    # The user's answer: leave them out for now (cert-manager comes later).
    run("repo.cluster-dir", "--set", "class.infrastructure/kubernetes/certificates=exclude")
    # 2.0: what only the cluster has. Here the Sealed Secrets CRD the testbed installed by hand, as an
    # owner who applied its controller.yaml would have: left to the cluster, with the reason.
    crd = "CustomResourceDefinition//sealedsecrets.bitnami.com"
    run("repo.adopt", "--set", f"adopt.{crd}=leave", "--set", f"adopt-why.{crd}=installed with its controller")
    for item in ("repo.kustomizations", "repo.apps", "repo.flux-manifests"):
        run(item)
    for item in ("secrets.scan", "secrets.keys", "secrets.convert", "secrets.decryption"):
        run(item, "--set", "secrets=sops")
    run("repo.commit-push", "--set", "ci-deploy=push")
    run("bootstrap.credentials", "--set", "provider=git", "--set", f"git-url={url}")
    run("bootstrap.ownership")  # 3.0: what Flux will take over, before the first reconcile
    boot = run("bootstrap.run")
    # 3.2 gives Flux S.2's age key as soon as flux-system exists (issue 24, point 7): S.4, pending until
    # bootstrap, is green at once, Next does not send the user back to it, and 3.4 is never red for want of it.
    assert "created Secret flux-system/sops-age" in boot.stdout, boot.stdout
    data = status_json(repo, env)
    assert items_of(data)["secrets.decryption"]["status"] == "passed", items_of(data)["secrets.decryption"]
    assert data["next"]["id"] != "secrets.decryption", data["next"]
    wiz(repo, "verify", "bootstrap.controllers", "bootstrap.namespace", env=env)  # 3.4 green at once, too
    run("validate.reconciled")
    wiz(repo, "verify", "bootstrap.namespace", "validate.deployed", env=env)
    run("validate.drift")
    run("validate.healing")
    return tb, env, repo


def test_after_the_whole_journey_everything_reverifies_green_twice(journey):
    tb, env, repo = journey
    first = wiz(repo, "verify", env=env, ok=(0, 1))
    data = status_json(repo, env)
    assert not not_green(data), (not_green(data), first.stdout[-3000:])
    again = wiz(repo, "verify", env=env, ok=(0, 1))  # a new process: nothing cached
    data = status_json(repo, env)
    assert not not_green(data), (not_green(data), again.stdout[-3000:])
    # every PVC of the demo is Bound on the testbed, as on a homelab with a provisioner
    pvcs = kubectl_json(env, "pvc", "-A")["items"]
    assert pvcs and all(p["status"].get("phase") == "Bound" for p in pvcs)


async def test_after_the_whole_journey_the_tui_shows_every_phase_complete(journey, monkeypatch):
    from textual.widgets import DataTable

    from screens.app import make_app
    from screens.dialogs.resume import ResumeDialog
    from screens.flux_status import FluxStatusScreen
    from tests.tui.conftest import settle, text_of, tui_session, wait_for, wait_for_screen

    tb, env, repo = journey
    with tui_session(repo, env, monkeypatch, keys=("KUBECONFIG", "PATH", "HOMELAB_WIZARD_DATA", "GIT_PASSWORD")) as session:
        app = make_app(session)
        async with app.run_test(size=(150, 44)) as pilot:
            await wait_for_screen(pilot, ResumeDialog, "#resume-list", timeout=60)
            await settle(pilot)
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("v")  # verify all, from home
            await wait_for(pilot, lambda: app.work_running(), timeout=10)
            await wait_for(pilot, lambda: not app.work_running(), timeout=600)
            await settle(pilot)
            bad = {i: f"{st.status}: {st.message[:200]}" for i, st in session.state.items.items()
                   if i.startswith(PHASES_1_TO_4) and st.status not in ("passed", "skipped")}
            assert not bad, bad
            app.action_open_phase("validate")
            await pilot.pause()
            await pilot.press("F")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, FluxStatusScreen)
            await wait_for(pilot, lambda: not screen.loading, timeout=60)
            assert not screen.error, screen.error
            table = screen.query_one("#flux-status-table", DataTable)
            assert table.row_count >= 4
            summary = text_of(screen.query_one("#flux-status-message"))
            assert "all Ready" in summary and "need attention" not in summary, summary
