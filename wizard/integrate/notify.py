"""5.4 notifications: a Provider whose webhook address sits in an encrypted Secret, and an Alert.

The webhook URL is a secret: it comes only from the environment (HOMELAB_WIZARD_WEBHOOK_URL),
is registered with the redactor at once, reaches sops/kubeseal/kubectl only through stdin, and
is never written to argv, state, evidence, logs or git in plaintext. The repo gets:

    infrastructure/notifications/{kustomization,provider,alert}.yaml + the encrypted Secret
    clusters/<name>/notifications.yaml   (a Flux Kustomization for that folder)

and the same objects are applied to the cluster at once (server-side, field manager `kubectl`,
which kustomize-controller takes over when it reconciles the folder), so the test event can go
through the real notification-controller now.

notification.toolkit.fluxcd.io/v1beta3 Alert and Provider are static objects: the API has no
status (no Ready condition), so "ready" means the API server accepted them, their Secret exists
with an `address` key, and a test event arrives. The test event is POSTed to the
notification-controller's event endpoint (`--set events-url=http://127.0.0.1:PORT/`, e.g. after
`kubectl -n flux-system port-forward svc/notification-controller 9090:80`) as a Flux controller
would send it; it carries a short code, and the check passes when the user confirms the code
that arrived (`--set notify-received=CODE`): only the receiving end can know it.
"""
from __future__ import annotations

import json
import os
import secrets as pysecrets
import urllib.error
import urllib.request
from datetime import datetime, timezone

from ..journal import Kind
from ..session import Blocked, UsageError

API = "notification.toolkit.fluxcd.io/v1beta3"
NS = "flux-system"
PROVIDER = "homelab"
ALERT = "homelab-alerts"
SECRET = "notify-webhook"
FOLDER = "infrastructure/notifications"
URL_ENV = "HOMELAB_WIZARD_WEBHOOK_URL"
SENT = Kind.NOTIFY_SENT
PROVIDER_TYPES = ("generic", "slack", "discord")


def provider_doc(ptype: str, channel: str | None) -> dict:
    spec: dict = {"type": ptype, "secretRef": {"name": SECRET}}
    if channel and ptype == "slack":
        spec["channel"] = channel
    return {"apiVersion": API, "kind": "Provider", "metadata": {"name": PROVIDER, "namespace": NS}, "spec": spec}


def alert_doc(severity: str) -> dict:
    return {"apiVersion": API, "kind": "Alert", "metadata": {"name": ALERT, "namespace": NS},
            "spec": {"providerRef": {"name": PROVIDER}, "eventSeverity": severity,
                     "eventSources": [{"kind": "Kustomization", "name": "*"}, {"kind": "HelmRelease", "name": "*"}]}}


def secret_doc(url: str) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": SECRET, "namespace": NS},
            "type": "Opaque", "stringData": {"address": url}}


def flux_ks(method: str) -> dict:
    spec: dict = {"interval": "10m", "retryInterval": "1m", "timeout": "2m", "path": "./" + FOLDER, "prune": True,
                  "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}
    if method == "sops":
        spec["decryption"] = {"provider": "sops", "secretRef": {"name": "sops-age"}}
    return {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "notifications", "namespace": NS}, "spec": spec}


def secret_file(method: str) -> str:
    return f"{FOLDER}/webhook-secret.sops.yaml" if method == "sops" else f"{FOLDER}/webhook-sealedsecret.yaml"


def given_url(session) -> str:
    """The webhook address typed at the no-echo prompt in this session, else the environment's; "" when neither."""
    typed = (getattr(session, "prompted_tokens", None) or {}).get(URL_ENV)
    if typed:
        return typed.strip()
    env = session.runner.base_env if session.runner.base_env is not None else os.environ
    return (env.get(URL_ENV) or "").strip()


def webhook_url(session) -> str:
    url = given_url(session)
    if not url:
        raise Blocked(f"the webhook address is a secret, so it is never an answer: type it at the no-echo prompt "
                      f"(the TUI and a terminal ask for it), or export {URL_ENV}=<your Slack/Discord/webhook URL> "
                      "(e.g. `read -rs HOMELAB_WIZARD_WEBHOOK_URL; export HOMELAB_WIZARD_WEBHOOK_URL`), then run "
                      "integrate.notifications again. Never pass it with --set.")
    if not url.startswith(("https://", "http://")):
        raise UsageError(f"{URL_ENV} must be an http(s) URL (the value is not shown).")
    session.runner.redactor.add(url)
    return url


def refuse_url_in_answers(session) -> None:
    for k in list(session.answers):
        v = str(session.answers[k])
        if k in ("webhook-url", "webhook", "address", "notify-url") or (
                "://" in v and k not in ("events-url", "git-url", "sealed-cert")):
            del session.answers[k]
            session.store.save()
            raise UsageError(f"answer {k}=… looks like the webhook address, which is a secret: it was dropped from the "
                             f"wizard's state. Export {URL_ENV} instead; if the command line is in your shell history, "
                             "rotate the webhook.")


def test_event(code: str) -> dict:
    return {
        "involvedObject": {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                           "name": "flux-system", "namespace": NS},
        "severity": "info",
        "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "message": f"homelab-wizard test notification, code {code}: Flux alerts reach this channel.",
        "reason": "HomelabWizardTest",
        "reportingController": "kustomize-controller",
        "reportingInstance": "homelab-wizard",
        "metadata": {"revision": f"homelab-wizard-test-{code}"},
    }


def new_code() -> str:
    return pysecrets.token_hex(4)


def post_event(events_url: str, event: dict, timeout: float = 15) -> int:
    """POST the event as a Flux controller would (JSON to the event server's root path)."""
    req = urllib.request.Request(events_url, data=json.dumps(event).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # a local/port-forwarded address
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        raise Blocked(f"the notification-controller at {events_url} refused the test event: HTTP {e.code} "
                      f"{e.read()[:200].decode(errors='replace')}") from None
    except (urllib.error.URLError, OSError) as e:
        raise Blocked(f"cannot reach the notification-controller's event endpoint {events_url}: {e}. Start "
                      "`kubectl -n flux-system port-forward svc/notification-controller 9090:80` and "
                      "answer events-url=http://127.0.0.1:9090/") from None
