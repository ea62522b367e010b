"""5.4 integrate.notifications on a private testbed: a generic webhook Provider whose address is
sops-encrypted, an Alert, and a test event through the real notification-controller to a
receiver on 127.0.0.1. The webhook URL never appears in argv, state, audit log, output or git."""
from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.helpers import DEPLOYMENT, FLUX_KS, git, item_status, make_repo, push_to_bare_remote, record_prerequisites_passed, run_cli, status_json

pytestmark = pytest.mark.testbed


class Receiver:
    def __init__(self):
        self.bodies: list[dict] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                try:
                    outer.bodies.append({"path": self.path, "json": json.loads(raw)})
                except ValueError:
                    outer.bodies.append({"path": self.path, "raw": raw.decode(errors="replace")})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_code(self, timeout=40.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for b in self.bodies:
                m = re.search(r"code ([0-9a-f]{8})", json.dumps(b))
                if m:
                    return m.group(1), b
            time.sleep(0.5)
        return None, None

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_notifications_provider_alert_and_a_delivered_test_event(testbed_factory, tmp_path):
    tb = testbed_factory("notify")
    env = dict(tb.env)
    env["HOMELAB_WIZARD_DATA"] = str(tmp_path / "data")
    subprocess.run(["kubectl", "create", "namespace", "flux-system"], env=env, capture_output=True)

    key = tmp_path / "keys" / "age.agekey"
    key.parent.mkdir(mode=0o700)
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    pub = subprocess.run(["age-keygen", "-y", str(key)], check=True, capture_output=True, text=True).stdout.strip()
    from wizard.secrets import keys

    repo = make_repo(tmp_path / "repo", {
        "apps/web/deployment.yaml": DEPLOYMENT.format(name="web", ns="default"),
        "apps/kustomization.yaml": "resources:\n  - web/deployment.yaml\n",
        "clusters/homelab/apps.yaml": FLUX_KS,
        ".sops.yaml": keys.sops_config(pub, keys.path_regex([])),
    })
    remote = push_to_bare_remote(repo, tmp_path / "remote.git")

    res = run_cli("--repo", str(repo), "run", "prep.preflight", "--yes", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    record_prerequisites_passed(repo, "bootstrap.namespace")

    rx = Receiver()
    token = "T0k" + "en-" + "9f8e7d6c5b4a"
    url = f"http://127.0.0.1:{rx.port}/hooks/{token}"
    events = f"http://127.0.0.1:{tb.ports['notification_events']}/"
    wenv = {**env, "HOMELAB_WIZARD_WEBHOOK_URL": url, "SOPS_AGE_KEY_FILE": str(key)}
    outputs = []
    try:
        # without the address in the environment: blocked, nothing written
        res = run_cli("--repo", str(repo), "run", "5.4", "--yes", "--set", "secrets=sops", env=env)
        outputs.append(res.stdout + res.stderr)
        assert res.returncode == 3 and "HOMELAB_WIZARD_WEBHOOK_URL" in res.stdout + res.stderr
        # the address on the command line is refused and dropped from the state
        res = run_cli("--repo", str(repo), "run", "5.4", "--dry-run", "--set", f"webhook-url={url}", env=env)
        assert res.returncode == 2, res.stdout + res.stderr
        assert "webhook-url" not in status_json(repo, env=env)["answers"]

        res = run_cli("--repo", str(repo), "run", "5.4", "--yes", "--set", f"events-url={events}", env=wenv)
        outputs.append(res.stdout + res.stderr)
        assert res.returncode == 0, res.stdout + res.stderr
        it = item_status(status_json(repo, env=env), "integrate.notifications")
        assert it["status"] == "pending" and "notify-received" in it["message"], it
        code, body = rx.wait_code()
        if code is None:  # the controller may have dropped an event sent before its cache saw the Alert
            res = run_cli("--repo", str(repo), "run", "5.4", "--yes", "--set", "notify-test=resend", env=wenv)
            outputs.append(res.stdout + res.stderr)
            code, body = rx.wait_code()
        assert code, f"no event reached the receiver: {rx.bodies}"
        assert body["path"] == f"/hooks/{token}"
        assert body["json"]["involvedObject"]["kind"] == "Kustomization"
        sent = item_status(status_json(repo, env=env), "integrate.notifications")["evidence"]["test_event"]["code"]
        assert code == sent

        res = run_cli("--repo", str(repo), "run", "5.4", "--yes", "--set", f"notify-received={code}", env=env)
        outputs.append(res.stdout + res.stderr)
        assert res.returncode == 0, res.stdout + res.stderr
        it = item_status(status_json(repo, env=env), "integrate.notifications")
        assert it["status"] == "passed", it
        assert it["evidence"]["provider"]["type"] == "generic"
        assert {"kind": "HelmRelease", "name": "*"} in it["evidence"]["alert"]["eventSources"]
    finally:
        rx.stop()

    # the cluster has the objects; the repo has them, encrypted, committed and pushed
    prov = json.loads(subprocess.run(["kubectl", "get", "providers.notification.toolkit.fluxcd.io", "homelab", "-n",
                                      "flux-system", "-o", "json"], env=env, check=True, capture_output=True, text=True).stdout)
    assert prov["apiVersion"] == "notification.toolkit.fluxcd.io/v1beta3" and prov["spec"]["secretRef"]["name"] == "notify-webhook"
    secret_file = (repo / "infrastructure/notifications/webhook-secret.sops.yaml").read_text()
    assert "sops:" in secret_file and "ENC[" in secret_file
    assert "decryption:" in (repo / "clusters/homelab/notifications.yaml").read_text()
    assert git(remote, "rev-parse", "main").strip() == git(repo, "rev-parse", "HEAD").strip()

    # the secret is nowhere in plaintext
    haystacks = [git(repo, "log", "-p", "--all"), *outputs, json.dumps(status_json(repo, env=env))]
    state_dir = repo / ".git" / "homelab-wizard"
    haystacks += [p.read_text() for p in state_dir.iterdir() if p.is_file() and p.suffix in (".json", ".jsonl")]
    for h in haystacks:
        assert token not in h
