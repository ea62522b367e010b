"""5.4 integrate.notifications: a Flux Provider and Alert, with the webhook kept in an encrypted Secret."""
from __future__ import annotations

import json
import time
from ...journal import Kind
from ...checklist import Item, Plan, Question, Step, Verdict
from ...integrate import common
from ...integrate import notify as nt
from ...repo.generate import _dump
from ...runner import ToolError
from ...session import Blocked
from .docs import keep_current as keep_docs_current, refresh_step as docs_refresh_step
from .shared import PUSH
from .shared import commit_step, differing, secrets_method, yaml_docs


PTYPE = Question("notify-provider", "Where notifications go", [("generic", "a generic webhook (JSON POST)"),
                                                               ("slack", "Slack (incoming webhook)"),
                                                               ("discord", "Discord (webhook)")], default="generic",
                 help=f"The webhook URL is a secret: export {nt.URL_ENV}; it is never passed on the command line.")


SEVERITY = Question("notify-severity", "Which events", [("info", "every reconciliation (info and errors)"),
                                                         ("error", "errors only")], default="info")


EVENTS_URL = Question("events-url", "The notification-controller's event endpoint, to send a test event "
                                    "(e.g. http://127.0.0.1:9090/ through a port-forward; empty: no test event)",
                      optional=True)


RECEIVED = Question("notify-received", "The code the test event carried, as your webhook received it (empty: "
                                       "not arrived yet)", optional=True, when=lambda a: bool(a.get("events-url")))


def _repo_files(session, method: str) -> dict[str, str]:
    cluster = session.answers.get("cluster", "homelab")
    ptype = session.answers.get("notify-provider", PTYPE.default)
    sev = session.answers.get("notify-severity", SEVERITY.default)
    sec = nt.secret_file(method).rsplit("/", 1)[1]
    kust = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "resources": [sec, "provider.yaml", "alert.yaml"]}
    return {
        f"{nt.FOLDER}/provider.yaml": yaml_docs([nt.provider_doc(ptype, session.answers.get("notify-channel"))]),
        f"{nt.FOLDER}/alert.yaml": yaml_docs([nt.alert_doc(sev)]),
        f"{nt.FOLDER}/kustomization.yaml": yaml_docs([kust]),
        f"clusters/{cluster}/notifications.yaml": yaml_docs([nt.flux_ks(method)]),
    }


def _get(session, kind: str, name: str) -> dict | None:
    try:
        res = session.kubectl.run("get", kind, name, "-n", nt.NS, "-o", "json", "--ignore-not-found", timeout=30)
    except ToolError as e:
        raise Blocked(f"cannot read {kind} {nt.NS}/{name}: {e}") from None
    return json.loads(res.stdout) if res.stdout.strip() else None


def _secret_keys(session) -> list[str] | None:
    """Only the key names of the webhook Secret (its values never leave the API server)."""
    if not _exists(session):
        return None
    res = session.kubectl.run("get", "secret", nt.SECRET, "-n", nt.NS, "-o",
                              "go-template={{range $k, $v := .data}}{{$k}} {{end}}", timeout=30)
    return res.stdout.split()


def _exists(session) -> bool:
    res = session.kubectl.run("get", "secret", nt.SECRET, "-n", nt.NS, "--ignore-not-found", "-o", "name", timeout=30)
    return bool(res.stdout.strip())


def _cluster_docs(session) -> list[dict]:
    return [nt.provider_doc(session.answers.get("notify-provider", PTYPE.default), session.answers.get("notify-channel")),
            nt.alert_doc(session.answers.get("notify-severity", SEVERITY.default))]


def _last_sent(session) -> dict | None:
    return next((e for e in reversed(session.state.journal) if e.get("action") == nt.SENT), None)


def _encrypted(session, method: str) -> tuple[bool, str]:
    from ...repo.scan import scan

    rel = nt.secret_file(method)
    f = session.repo / rel
    if not f.is_file():
        return False, f"{rel} does not exist"
    info = scan(session.repo).files.get(rel)
    if method == "sops":
        return (bool(info and info.sops), f"{rel} is not sops-encrypted" if not (info and info.sops) else "")
    import yaml
    kinds = [d.get("kind") for d in yaml.safe_load_all(f.read_text()) if isinstance(d, dict)]
    return (kinds == ["SealedSecret"], "" if kinds == ["SealedSecret"] else f"{rel} is not a SealedSecret")


def _live_objects(session) -> tuple[dict | None, dict | None]:
    return (_get(session, "providers.notification.toolkit.fluxcd.io", nt.PROVIDER),
            _get(session, "alerts.notification.toolkit.fluxcd.io", nt.ALERT))


def _live_problems(session, prov: dict, alert: dict, ev: dict) -> list[str]:
    """What is wrong with the Provider, the Alert and the webhook Secret in the cluster (evidence into ev)."""
    ev["provider"] = {"type": prov["spec"].get("type"), "secretRef": prov["spec"].get("secretRef")}
    ev["alert"] = {"eventSeverity": alert["spec"].get("eventSeverity"), "eventSources": alert["spec"].get("eventSources")}
    problems = []
    for o in (prov, alert):
        conds = {c.get("type"): c for c in (o.get("status") or {}).get("conditions") or []}
        if "Ready" in conds and conds["Ready"].get("status") != "True":
            problems.append(f"{o['kind']} {nt.NS}/{o['metadata']['name']} is not Ready: {conds['Ready'].get('message')}")
    ev["ready"] = ("accepted by the API server; notification.toolkit.fluxcd.io/v1beta3 Alert and Provider are "
                   "static objects without a status (no Ready condition)")
    srcs = {(s.get("kind"), s.get("name")) for s in alert["spec"].get("eventSources") or []}
    if not {("Kustomization", "*"), ("HelmRelease", "*")} <= srcs:
        problems.append("the Alert does not watch every Kustomization and HelmRelease")
    keys = _secret_keys(session)
    if keys is None or "address" not in keys:
        problems.append(f"Secret {nt.NS}/{nt.SECRET} {'is missing' if keys is None else 'has no address key'}")
    ev["secret_keys"] = keys
    return problems


def _test_event_verdict(session, method: str, ev: dict) -> Verdict:
    """Everything is in place: passed once the user confirms the code of the last test event."""
    sent = _last_sent(session)
    if sent is None:
        return Verdict("pending", "Provider and Alert are in place; no test event sent yet: run integrate.notifications "
                                  "answer events-url=http://127.0.0.1:PORT/ (the notification-controller's event "
                                  "endpoint, e.g. through 'kubectl -n flux-system port-forward svc/notification-controller "
                                  "9090:80')", ev)
    ev["test_event"] = {"code": sent["code"], "sent_at": sent["at"], "events_url": sent["events_url"]}
    got = (session.answers.get("notify-received") or "").strip()
    if got != sent["code"]:
        msg = (f"a test event with code {sent['code']} went through the notification-controller at {sent['at']}; "
               f"when it arrives, confirm it: run 5.4 integrate.notifications again with the answer notify-received=<code>")
        if got:
            msg = f"the confirmed code {got!r} is not the code of the last test event; " + msg
        return Verdict("pending", msg, ev)
    ev["test_event"]["confirmed"] = True
    return Verdict("passed", f"Provider {nt.PROVIDER} ({ev['provider']['type']}) and Alert {nt.ALERT} in flux-system, "
                             f"webhook address encrypted ({method}); the test event {sent['code']} arrived", ev)


def _require_sealing_cert(session, method: str) -> None:
    # Sealing needs the certificate on disk; SOPS encrypts with the recipients of .sops.yaml.
    if method == "sealed-secrets":
        from ...secrets import keys
        if not keys.cert_path(session.repo).is_file():
            raise Blocked("no Sealed Secrets certificate yet; run secrets.keys first.", needs=("secrets.keys",))


def _write_steps(session, changes: dict[str, str]) -> list[Step]:
    return [Step("write" if not (session.repo / p).is_file() else "edit", f"write {p}",
                 common.diff((session.repo / p).read_text() if (session.repo / p).is_file() else "", t, p))
            for p, t in changes.items()]


def _secret_and_commit_steps(session, method: str, sec: str, changes: dict[str, str], need_secret: bool) -> list[Step]:
    steps = []
    if need_secret:
        steps.append(Step("write", f"write {sec}: Secret {nt.NS}/{nt.SECRET} with the address from ${nt.URL_ENV}, "
                                   f"encrypted with {'sops (age, stdin only)' if method == 'sops' else 'kubeseal --cert'}"))
    if changes or need_secret:
        steps.append(commit_step(session))
    return steps


def _objects_in_place(session) -> bool:
    """Whether the cluster's Provider and Alert have the spec the answers ask for."""
    docs = _cluster_docs(session)
    live = list(_live_objects(session))
    return all(o is not None and o.get("spec") == d["spec"] for o, d in zip(live, docs))


def _apply_step(ptype: str, cluster_secret: bool) -> Step:
    return Step("command", "kubectl apply --server-side: "
                           + (f"Secret {nt.NS}/{nt.SECRET} (through stdin), " if not cluster_secret else "")
                           + f"Provider {nt.PROVIDER} ({ptype}), Alert {nt.ALERT} ({nt.API})")


def _test_event_wanted(session) -> tuple[str, bool]:
    """The events URL, and whether to send a test event: the first one, or again when asked to resend."""
    events_url = (session.answers.get("events-url") or "").strip()
    send = bool(events_url) and (_last_sent(session) is None or session.answers.get("notify-test") == "resend")
    return events_url, send


def _test_event_steps(session, events_url: str, send: bool) -> list[Step]:
    if send:
        return [Step("command", f"POST a test event (Kustomization flux-system, info) to {events_url}")]
    if not events_url and _last_sent(session) is None:
        return [Step("info", "no test event: answer events-url=http://127.0.0.1:PORT/ to send one")]
    return []


def _encrypted_secret(session, method: str, sec: str, url: str) -> str:
    """The webhook Secret as it goes into the repo; refuses if the address still shows through."""
    from ...secrets import convert as cv
    from ...secrets import keys

    doc = nt.secret_doc(url)
    if method == "sops":
        text = cv.sops_encrypt(session, _dump(doc), sec)
    else:
        text = cv.kubeseal(session, doc, keys.cert_path(session.repo), "strict")
    if url in text:
        raise Blocked(f"internal check: the encrypted {sec} still holds the address; nothing was written.")
    return text


def _secret_manifest(session, method: str, sec: str, url: str | None) -> str:
    """What kubectl applies for the webhook Secret. kubectl cannot read a SOPS file (only Flux decrypts
    it), so the plain Secret goes through stdin; a SealedSecret is applied as it is (the controller
    unseals it)."""
    from ...secrets import convert as cv
    from ...secrets import keys

    if method == "sops":
        return _dump(nt.secret_doc(url)) if url else cv.sops_decrypt(
            session, (session.repo / sec).read_text(), sec, keys.age_key(session).path)
    return (session.repo / sec).read_text()


# Asked in the same run, right after the test event went out (the front ends' follow-up): no second run.
RECEIVED_NOW = Question("notify-received", "The test event went out: the code it carried, as your webhook received "
                                           "it (empty: not arrived yet; run 5.4 again to confirm later)", optional=True)


def webhook_url_needed(session) -> bool:
    """Whether a run of 5.4 needs the webhook address and neither the environment nor an earlier prompt gave it:
    the encrypted Secret is not in the repo yet, or not in the cluster (what plan() reads it for)."""
    if nt.given_url(session):
        return False
    try:
        method = secrets_method(session)
    except Exception:  # noqa: BLE001 - the item's own plan says what is wrong, which beats asking first
        return False
    return not (session.repo / nt.secret_file(method)).is_file() or not _exists(session)


class Notifications(Item):
    questions = (PTYPE, SEVERITY, PUSH, EVENTS_URL, RECEIVED)

    def follow_up(self, session, verdict: Verdict) -> tuple[Question, ...]:
        """Right after a run that sent the test event, the code it carried (one flow: send, then confirm)."""
        sent = _last_sent(session)
        if verdict.status != "pending" or sent is None or session.answers.get("notify-received") == sent["code"]:
            return ()
        return (RECEIVED_NOW,)

    def verify(self, session) -> Verdict:
        nt.refuse_url_in_answers(session)
        method = secrets_method(session)
        ev: dict = {"api": nt.API, "secret_file": nt.secret_file(method), "encryption": method}
        ok, why = _encrypted(session, method)
        if not ok:
            return Verdict("pending", f"{why} (run integrate.notifications)", ev)
        stale = list(differing(session, _repo_files(session, method)))
        if stale:
            return Verdict("pending", f"not written yet or changed: {', '.join(stale)} (run integrate.notifications)", ev)
        prov, alert = _live_objects(session)
        if prov is None or alert is None:
            missing = [n for n, o in (("Provider " + nt.PROVIDER, prov), ("Alert " + nt.ALERT, alert)) if o is None]
            return Verdict("pending", f"{' and '.join(missing)} not in the cluster (flux-system) yet", ev)
        problems = _live_problems(session, prov, alert, ev)
        if problems:
            return Verdict("failed", "; ".join(problems), ev)
        return _test_event_verdict(session, method, ev)

    def plan(self, session) -> Plan:
        nt.refuse_url_in_answers(session)
        method = secrets_method(session)
        _require_sealing_cert(session, method)
        ptype = session.answers.get("notify-provider", PTYPE.default)
        changes = differing(session, _repo_files(session, method))
        steps = _write_steps(session, changes)
        sec = nt.secret_file(method)
        need_secret = not (session.repo / sec).is_file()
        cluster_secret = _exists(session)
        if need_secret or not cluster_secret:
            nt.webhook_url(session)  # fail early, before anything is written
        steps += _secret_and_commit_steps(session, method, sec, changes, need_secret)
        refresh = docs_refresh_step(session) if changes or need_secret else None
        steps += [refresh] if refresh else []
        objects_ok = _objects_in_place(session)
        if not (cluster_secret and objects_ok):
            steps.append(_apply_step(ptype, cluster_secret))
        events_url, send = _test_event_wanted(session)
        if not (changes or need_secret or send) and cluster_secret and objects_ok:
            return Plan(self.id, "Nothing to change: Provider, Alert and the encrypted Secret are in place.", steps,
                        changes="nothing", data={"nothing": True})
        steps += _test_event_steps(session, events_url, send)
        return Plan(self.id, f"{ptype} notifications for every Kustomization and HelmRelease", steps, changes="cluster",
                    data={"changes": changes, "need_secret": need_secret, "method": method, "send": send,
                          "events_url": events_url})

    def apply(self, session, plan, progress) -> None:
        d = plan.data
        if d.get("nothing"):
            return
        method, sec = d["method"], nt.secret_file(d["method"])
        changes = dict(d["changes"])
        url = None
        if d["need_secret"] or not _exists(session):
            url = nt.webhook_url(session)
        if d["need_secret"]:
            changes[sec] = _encrypted_secret(session, method, sec, url)
        if changes:
            common.write_and_commit(session, self.id, changes, "notifications: Flux Provider and Alert (homelab-wizard 5.4)",
                                    progress, push=session.answers.get("push", "true") == "true")
            keep_docs_current(session, self.id, progress)
        # the cluster, now
        if url is not None or d["need_secret"]:
            session.kubectl.run("apply", "--server-side", "-f", "-", stdin=_secret_manifest(session, method, sec, url),
                                stdin_is_secret=True, log_output=False, timeout=60)
            progress(f"applied the webhook Secret {nt.NS}/{nt.SECRET}")
        docs = _cluster_docs(session)
        session.kubectl.run("apply", "--server-side", "-f", "-", stdin="".join("---\n" + _dump(x) for x in docs), timeout=60)
        progress(f"applied Provider {nt.PROVIDER} and Alert {nt.ALERT}")
        session.state.record(Kind.INTEGRATE_APPLIED, item=self.id, objects=[f"Secret/{nt.NS}/{nt.SECRET}",
                             f"Provider/{nt.NS}/{nt.PROVIDER}", f"Alert/{nt.NS}/{nt.ALERT}"])
        session.store.save()
        if d["send"]:
            self._send_test_event(session, d, progress)

    def _send_test_event(self, session, d: dict, progress) -> None:
        session.answers.pop("notify-test", None)
        session.answers.pop("notify-received", None)
        code = nt.new_code()
        time.sleep(3)  # the controller's cache must see the new Alert and Provider, or it drops the event
        status = nt.post_event(d["events_url"], nt.test_event(code))
        session.state.record(nt.SENT, item=self.id, code=code, events_url=d["events_url"], http_status=status)
        session.store.save()
        progress(f"sent a test event (code {code}) to {d['events_url']} (HTTP {status}); when it arrives, confirm "
                 f"with the answer notify-received={code}")
