"""Phase 3, Flux bootstrap: items 3.1-3.4 (bootstrap.credentials … bootstrap.namespace).

Every verdict is read from the API (`-o json`, conditions) or from git itself; `flux check`'s
exit code and output are kept as evidence. Tokens reach git and flux only via the environment.
"""
from __future__ import annotations

from ..journal import Kind
from ..checklist import Item, Plan, Question, Step, Verdict
from ..flux import creds
from ..flux.status import (GITREPO_RESOURCE, KS_RESOURCE, NS, WAITING_REASONS, condition, describe_condition,
                           flux_crds, get_or_none, in_progress, is_true, list_all, ref, revision_hash)
from ..repo import gitstate
from ..runner import ToolError
from ..session import Blocked, Refused, WizardError

STARTED, BOOTSTRAPPED, ADOPTED, FAILED = Kind.BOOTSTRAP_STARTED, Kind.BOOTSTRAPPED, Kind.BOOTSTRAP_ADOPTED, Kind.BOOTSTRAP_FAILED
IMAGE_COMPONENTS = "image-reflector-controller,image-automation-controller"
REQUIRED_CONTROLLERS = ("source-controller", "kustomize-controller")
REQUIRED_CRDS = (GITREPO_RESOURCE, KS_RESOURCE)

PROVIDER = Question("provider", "Git provider", [("github", "GitHub (GITHUB_TOKEN)"), ("gitea", "Gitea / Forgejo (GITEA_TOKEN)"),
                                                 ("git", "any git server (https token or ssh deploy key)")],
                    default=None, help="Default: github for github.com remotes, git otherwise.")
GIT_URL = Question("git-url", "Repository URL (default: the URL of the remote)", default=None)
PERSONAL = Question("personal", "The repository belongs to a user, not an organisation", [("true", "yes"), ("false", "no")],
                    default="true")
PRIVATE = Question("private", "Create the repository as private if it does not exist", [("true", "yes"), ("false", "no")],
                   default="true")
IMAGES = Question("image-automation", "Install the image automation controllers (Phase 5.3)",
                  [("false", "no"), ("true", "yes")], default="false")
NETPOL = Question("network-policy", "Install Flux's network policies", [("true", "yes"), ("false", "no")], default="true",
                  help="The plan in the seed passes --network-policy=false.")
EXISTING = Question("existing-bootstrap", "Flux is already bootstrapped here with the same repo and path",
                    [("adopt", "adopt it (nothing is re-run)"), ("rerun", "run flux bootstrap again (idempotent)")],
                    default="adopt")


def cluster_path(session) -> str:
    name = session.answers.get("cluster", "homelab")
    return f"clusters/{name}"


def branch_of(session) -> str:
    b = session.answers.get("branch") or gitstate.current_branch(session)
    if not b:
        raise Blocked("HEAD is detached; check out the branch Flux should follow, or pass --set branch=<name>.")
    return b


def _norm(path: str | None) -> str:
    return (path or "").strip().lstrip("./").rstrip("/") if path else ""


def stored_path(session) -> str | None:
    """The --path of an earlier bootstrap (started, done or adopted) on this repository."""
    for e in reversed(session.state.journal):
        if e.get("action") in (STARTED, BOOTSTRAPPED, ADOPTED):
            return e.get("path")
    return None


def bootstrap_argv(session, cred: creds.Credential) -> list[str]:
    """`flux bootstrap …` from the answers; pinned --kubeconfig/--context come from session.flux."""
    a = session.answers
    path, branch = cluster_path(session), branch_of(session)
    if cred.provider in ("github", "gitea"):
        argv = ["bootstrap", cred.provider, f"--owner={cred.repo.owner}", f"--repository={cred.repo.repository}",
                f"--branch={branch}", f"--path={path}", f"--personal={a.get('personal', PERSONAL.default)}",
                f"--private={a.get('private', PRIVATE.default)}"]
        if cred.provider == "gitea" or cred.repo.host.lower() not in ("github.com", "www.github.com"):
            argv.append(f"--hostname={cred.repo.host}")
    else:
        argv = ["bootstrap", "git", f"--url={cred.repo.url}", f"--branch={branch}", f"--path={path}", "--silent"]
        if cred.repo.scheme == "http":
            argv.append("--allow-insecure-http")
        if cred.auth == "token":
            argv += ["--token-auth", f"--username={cred.username}"]
        else:
            argv.append(f"--private-key-file={cred.ssh_key}")
    if a.get("image-automation", IMAGES.default) == "true":
        argv.append(f"--components-extra={IMAGE_COMPONENTS}")
    if a.get("network-policy", NETPOL.default) == "false":
        argv.append("--network-policy=false")
    if a.get("ca-file"):
        argv.append(f"--ca-file={a['ca-file']}")
    argv.append(f"--timeout={a.get('bootstrap-timeout', '10m')}")
    return [*session.flux.prefix(), *argv]


def preview(argv: list[str], cred: creds.Credential) -> str:
    env = "" if cred.auth == "ssh" else f"{creds.TOKEN_ENV[cred.provider]}=<hidden, from {cred.source}> "
    return env + " ".join(argv)


# -- 3.1 ----------------------------------------------------------------------------------------
class Credentials(Item):
    id = "bootstrap.credentials"
    alias = "3.1"
    title = "Git provider credentials"
    requires = ("prep.preflight", "prep.backup")
    needs_cluster = True
    questions = (PROVIDER, GIT_URL)

    def verify(self, session) -> Verdict:
        if not any(e.get("action") == Kind.CREDENTIALS_CHOSEN for e in session.state.journal):
            return Verdict("pending", "no provider chosen yet; run bootstrap.credentials (--set provider=github|gitea|git)")
        cred = creds.resolve(session)
        res = creds.ls_remote(session, cred, f"refs/heads/{branch_of(session)}")
        ev = {"provider": cred.provider, "url": cred.http_url, "auth": cred.auth, "credential": cred.source,
              "command": res.command, "exit_code": res.exit_code}
        if res.exit_code != 0:
            last = (res.stderr.strip().splitlines() or ["?"])[-1]
            return Verdict("failed", f"git ls-remote {cred.http_url} with the {cred.source} failed: {last}. Check the "
                                     "token's scopes (or the deploy key's write access) and the URL.", ev)
        ev["branch_exists"] = bool(res.stdout.strip())
        return Verdict("passed", f"{cred.describe()}: git ls-remote works with it (the token is never stored)", ev)

    def plan(self, session) -> Plan:
        cred = creds.resolve(session)
        steps = [Step("info", f"provider {cred.provider}, repository {cred.http_url}", f"credential: {cred.source}"),
                 Step("command", f"git ls-remote {cred.http_url} refs/heads/{branch_of(session)}",
                      "the credential is handed to git by a credential helper that reads an environment variable")]
        return Plan(self.id, "Check access to the repository with the credential flux will use (nothing is stored "
                             "except the provider and URL).", steps, changes="state",
                    data={"provider": cred.provider, "url": cred.repo.url, "auth": cred.auth})

    def apply(self, session, plan: Plan, progress) -> None:
        session.answers.setdefault("provider", plan.data["provider"])
        session.answers.setdefault("git-url", plan.data["url"])
        session.state.record(Kind.CREDENTIALS_CHOSEN, item=self.id, **plan.data)
        session.store.save()
        progress(f"provider {plan.data['provider']}, {plan.data['url']} ({plan.data['auth']} auth)")


# -- 3.2 ----------------------------------------------------------------------------------------
def existing(session) -> dict:
    """What the cluster already has of a bootstrap: namespace, sync objects, their path and URL."""
    k = session.kubectl
    ns = get_or_none(k, "namespace", NS)
    repo = get_or_none(k, GITREPO_RESOURCE, "-n", NS, "flux-system") if ns else None
    ks = get_or_none(k, KS_RESOURCE, "-n", NS, "flux-system") if ns else None
    return {"namespace": ns is not None, "gitrepository": repo, "kustomization": ks,
            "path": _norm((ks or {}).get("spec", {}).get("path")) if ks else None,
            "url": (repo or {}).get("spec", {}).get("url"),
            "branch": ((repo or {}).get("spec", {}).get("ref") or {}).get("branch")}


def remote_has_flux_system(session, cred: creds.Credential, branch: str, path: str) -> bool | None:
    """Fetch the branch with the bootstrap credential; True when <path>/flux-system/gotk-sync.yaml is in it."""
    env, secret = cred.git_env()
    url = cred.http_url if cred.auth == "token" else cred.repo.url
    res = session.runner.run(["git", "-C", str(session.repo), *cred.git_args(), "fetch", "--no-tags", "-q", url,
                              f"refs/heads/{branch}"], env=env, secret_env=secret, ok_codes=tuple(range(256)),
                             timeout=120)
    if res.exit_code != 0:
        return None
    have = session.git.run("cat-file", "-e", f"FETCH_HEAD:{path}/flux-system/gotk-sync.yaml", ok_codes=(0, 1, 128))
    return have.exit_code == 0


class Run(Item):
    id = "bootstrap.run"
    alias = "3.2"
    title = "Run flux bootstrap"
    requires = ("prep.preflight", "prep.backup", "bootstrap.credentials", "repo.commit-push")
    needs_cluster = True
    questions = (PERSONAL, PRIVATE, IMAGES, NETPOL, EXISTING)

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        path, branch = cluster_path(session), branch_of(session)
        done = [e for e in session.state.journal if e.get("action") in (BOOTSTRAPPED, ADOPTED)]
        if not done:
            started = [e for e in session.state.journal if e.get("action") in (STARTED, FAILED)]
            if started:
                return Verdict("failed", f"flux bootstrap --path={path} started but did not finish "
                                         f"({started[-1].get('error', 'interrupted')}); run bootstrap.run again: "
                                         "flux bootstrap is idempotent and picks up where it stopped")
            return Verdict("pending", "flux bootstrap has not run yet (run bootstrap.run)")
        cred = creds.resolve(session)
        ex = existing(session)
        ev = {"path": path, "branch": branch, "cluster_path": ex["path"], "sync_url": ex["url"],
              "how": done[-1]["action"]}
        if ex["kustomization"] is None or ex["gitrepository"] is None:
            return Verdict("failed", "the flux-system GitRepository/Kustomization are missing from the cluster; "
                                     "run bootstrap.run again", ev)
        if ex["path"] != path:
            return Verdict("failed", f"Kustomization flux-system/flux-system syncs ./{ex['path']}, not ./{path}", ev)
        in_git = remote_has_flux_system(session, cred, branch, path)
        ev["flux_system_in_git"] = in_git
        if in_git is None:
            return Verdict("failed", f"cannot fetch {branch} from {cred.http_url} to check {path}/flux-system/", ev)
        if not in_git:
            return Verdict("failed", f"{path}/flux-system/gotk-sync.yaml is not on {branch} at {cred.http_url}; "
                                     "run bootstrap.run again", ev)
        return Verdict("passed", f"Flux is bootstrapped: {path}/flux-system/ is on {branch}, and flux-system syncs "
                                 f"./{path} from {ex['url']}", ev)

    def plan(self, session) -> Plan:
        session.ensure_same_cluster()  # a preview of the pinned cluster only
        cred = creds.resolve(session)
        path, branch = cluster_path(session), branch_of(session)
        earlier = stored_path(session)
        if earlier and _norm(earlier) != path:
            raise Refused(f"an earlier bootstrap of this cluster used --path={earlier}; bootstrapping again with "
                          f"--path={path} would fail ('would overwrite path') or leave two syncs. Set the cluster "
                          f"name back (--set cluster={earlier.split('/')[-1]}), or uninstall Flux first.")
        ex = existing(session)
        if ex["path"] is not None and ex["path"] != path:
            raise Refused(f"this cluster is already bootstrapped: Kustomization flux-system/flux-system syncs "
                          f"./{ex['path']} from {ex['url']}. A bootstrap with --path={path} would not replace it; keep "
                          f"--set cluster={ex['path'].split('/')[-1]}, or uninstall Flux first "
                          "('flux uninstall --keep-namespace' keeps your workloads).")
        argv = bootstrap_argv(session, cred)
        same_repo = ex["url"] is not None and creds.parse_url(ex["url"]).key == cred.repo.key
        complete = (ex["kustomization"] is not None and same_repo and (ex["branch"] in (None, branch))
                    and is_true(ex["kustomization"]) and is_true(ex["gitrepository"]))
        data = {"argv": argv, "path": path, "branch": branch, "url": cred.repo.url, "provider": cred.provider}
        if complete and session.answers.get("existing-bootstrap", EXISTING.default) == "adopt":
            in_git = remote_has_flux_system(session, cred, branch, path)
            if in_git:
                return Plan(self.id, f"Flux is already bootstrapped here from {ex['url']} at ./{path}, and "
                                     f"{path}/flux-system/ is in git: adopt it instead of re-running the bootstrap.",
                            [Step("info", "existing bootstrap", f"GitRepository flux-system: {describe_condition(ex['gitrepository'])}\n"
                                                                f"Kustomization flux-system: {describe_condition(ex['kustomization'])}"),
                             Step("pin", f"record --path={path} in the wizard's state"),
                             Step("info", "to re-run it anyway: --set existing-bootstrap=rerun")],
                            changes="state", data={**data, "adopt": True})
        steps = []
        if ex["namespace"] and not complete:
            steps.append(Step("info", "a half-done bootstrap was found (flux-system exists, the sync is not complete); "
                                      "flux bootstrap is idempotent, so it is run again to finish it",
                              f"GitRepository: {describe_condition(ex['gitrepository'])}\n"
                              f"Kustomization: {describe_condition(ex['kustomization'])}"))
        steps += [Step("command", preview(argv, cred),
                       f"installs the controllers into flux-system, commits {path}/flux-system/ to {branch} and "
                       "makes the cluster follow it" + ("; with --token-auth the token is stored in Secret "
                                                        "flux-system/flux-system so Flux can fetch" if "--token-auth" in argv else "")),
                  Step("command", f"git fetch + merge --ff-only {branch}", "bring the bootstrap commit into this clone "
                                                                             "(only when the work tree is clean)")]
        if decrypting(session):
            steps.append(Step("info", AFTER_BOOTSTRAP))
        return Plan(self.id, f"Bootstrap Flux from {cred.http_url} ({branch}, ./{path}).", steps, changes="cluster",
                    data=data)

    def apply(self, session, plan: Plan, progress) -> None:
        cred = creds.resolve(session)
        d = plan.data
        if d.get("adopt"):
            session.state.record(ADOPTED, item=self.id, path=d["path"], url=d["url"], branch=d["branch"])
            session.store.save()
            progress(f"adopted the existing bootstrap (--path={d['path']})")
            return
        session.ensure_same_cluster()
        session.state.record(STARTED, item=self.id, path=d["path"], url=d["url"], branch=d["branch"],
                             provider=d["provider"])
        session.store.save()
        try:
            session.runner.run(d["argv"], secret_env=cred.flux_secret_env(), on_line=progress,
                               timeout=float(session.answers.get("bootstrap-timeout-seconds", 900)))
        except ToolError as e:
            msg = str(e)
            session.state.record(FAILED, item=self.id, path=d["path"], error=msg[-500:])
            session.store.save()
            hint = ""
            if "would overwrite" in msg:
                hint = " The repository holds another cluster's flux-system at that path."
            elif "x509" in msg:
                hint = " The server's certificate is not trusted: pass --set ca-file=<CA bundle>."
            elif "protected branch" in msg:
                hint = " The branch is protected: bootstrap to another branch (--set branch=…)."
            raise WizardError(f"flux bootstrap did not finish: {msg}.{hint} Run bootstrap.run again when fixed: "
                              "bootstrap is idempotent and finishes a half-done run.") from e
        head = creds.remote_head(session, cred, d["branch"])
        session.state.record(BOOTSTRAPPED, item=self.id, path=d["path"], url=d["url"], branch=d["branch"],
                             remote_head=head)
        session.store.save()
        self._fast_forward(session, cred, d["branch"], progress)
        if decrypting(session):
            progress(AFTER_BOOTSTRAP)

    def _fast_forward(self, session, cred, branch, progress) -> None:
        # Untracked files (1.3's report, say) do not stop a fast-forward; git refuses by itself if
        # the bootstrap commits would overwrite one.
        if gitstate.current_branch(session) != branch or session.git.run(
                "status", "--porcelain", "--untracked-files=no").stdout.strip():
            progress(f"this clone was left as it is (not on {branch}, or not clean); run 'git pull --ff-only' to get "
                     "the bootstrap commit")
            return
        env, secret = cred.git_env()
        url = cred.http_url if cred.auth == "token" else cred.repo.url
        before = gitstate.head(session)
        try:
            session.runner.run(["git", "-C", str(session.repo), *cred.git_args(), "fetch", "--no-tags", "-q", url,
                                f"refs/heads/{branch}"], env=env, secret_env=secret, timeout=120)
            session.git.run("merge", "--ff-only", "-q", "FETCH_HEAD", timeout=60)
        except ToolError as e:
            progress(f"could not fast-forward this clone ({e}); run 'git pull --ff-only' yourself")
            return
        after = gitstate.head(session)
        if after != before:
            session.state.record(Kind.FAST_FORWARDED, item=self.id, branch=branch, before=before, after=after)
            session.store.save()
            progress(f"fast-forwarded {branch} to {after[:12]} (the bootstrap commit)")


# -- 3.3 ----------------------------------------------------------------------------------------
class Controllers(Item):
    id = "bootstrap.controllers"
    alias = "3.3"
    title = "Flux controllers ready"
    requires = ("bootstrap.run",)
    needs_cluster = True

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        k = session.kubectl
        deps = k.run("get", "deployments", "-n", NS, "-l", "app.kubernetes.io/part-of=flux", "-o", "json",
                     "--request-timeout=20s", timeout=40).json().get("items", [])
        crds = flux_crds(k)
        ev: dict = {"deployments": {}, "crds": {}}
        bad = []
        for d in deps:
            name = d["metadata"]["name"]
            avail = is_true(d, "Available")
            ev["deployments"][name] = describe_condition(d, "Available")
            if not avail:
                bad.append(f"Deployment flux-system/{name} is not Available ({describe_condition(d, 'Available')})")
        for name in REQUIRED_CONTROLLERS:
            if name not in ev["deployments"]:
                bad.append(f"Deployment flux-system/{name} is missing")
        for c in crds:
            name = c["metadata"]["name"]
            ev["crds"][name] = is_true(c, "Established")
            if not ev["crds"][name]:
                bad.append(f"CRD {name} is not Established ({describe_condition(c, 'Established')})")
        for name in REQUIRED_CRDS:
            if name not in ev["crds"]:
                bad.append(f"CRD {name} is missing")
        check = session.flux.run("check", ok_codes=tuple(range(256)), timeout=180)
        ev["flux_check"] = {"command": check.command, "exit_code": check.exit_code,
                            "output": (check.shown_stdout + check.stderr)[-3000:]}
        if check.exit_code != 0:
            last = ((check.stderr or check.stdout).strip().splitlines() or ["?"])[-1]
            bad.append(f"'flux check' exited {check.exit_code}: {last}")
        if bad:
            return Verdict("failed", "; ".join(bad), ev)
        return Verdict("passed", f"{len(deps)} controllers Available, {len(crds)} Flux CRDs Established, "
                                 "'flux check' passed", ev)


# -- 3.4 ----------------------------------------------------------------------------------------
class Namespace(Item):
    id = "bootstrap.namespace"
    alias = "3.4"
    title = "flux-system namespace and sync Ready"
    requires = ("bootstrap.run",)
    needs_cluster = True

    def verify(self, session) -> Verdict:
        session.ensure_same_cluster()
        ex = existing(session)
        ns = get_or_none(session.kubectl, "namespace", NS)
        ev = {"namespace": (ns or {}).get("status", {}).get("phase"),
              "gitrepository": describe_condition(ex["gitrepository"]) if ex["gitrepository"] else None,
              "kustomization": describe_condition(ex["kustomization"]) if ex["kustomization"] else None}
        if not ns or ev["namespace"] != "Active":
            return Verdict("failed", f"namespace flux-system is {ev['namespace'] or 'missing'}", ev)
        bad = []
        for kind, obj in (("GitRepository", ex["gitrepository"]), ("Kustomization", ex["kustomization"])):
            if obj is None:
                bad.append(f"{kind} flux-system/flux-system is missing")
            elif not is_true(obj):
                bad.append(f"{kind} flux-system/flux-system: {describe_condition(obj)}")
        if bad:
            return Verdict("failed", "; ".join(bad) + ". See 'kubectl -n flux-system get gitrepository,kustomization "
                                                      "flux-system -o yaml' (status.conditions).", ev)
        failing = failing_kustomizations(session)
        ev["failing"] = failing
        if failing:
            return Verdict("failed", f"flux-system syncs, but {len(failing)} Kustomization(s) it created fail: "
                                     + "; ".join(failing[:4]), ev)
        rev = (ex["gitrepository"].get("status") or {}).get("artifact", {}).get("revision")
        ev["revision"] = rev
        ev["applied"] = (ex["kustomization"].get("status") or {}).get("lastAppliedRevision")
        return Verdict("passed", f"flux-system is Active; GitRepository and Kustomization flux-system are Ready at "
                                 f"{(revision_hash(rev) or '?')[:12]}", ev)


AFTER_BOOTSTRAP = ("next: run secrets.decryption (S.4) again: flux-system exists now, so it can create the sops-age "
                   "Secret the Kustomizations decrypt with (until then they fail with 'secrets \"sops-age\" not found')")


def decrypting(session) -> bool:
    """Do the repo's Flux Kustomizations decrypt with sops (S.4 then has a step left for after bootstrap)?"""
    from .secrets_items import needing_decryption

    return bool(needing_decryption(session))


def failing_kustomizations(session) -> list[str]:
    """Kustomizations that Flux has finished with and that failed (waits and work in progress are not
    failures), each with what to do; a missing decryption Secret names the item that creates it."""
    items = list_all(session.kubectl, [KS_RESOURCE])
    out = []
    for ks in items:
        c = condition(ks) or {}
        if (ks.get("spec") or {}).get("suspend") or c.get("status") != "False" or c.get("reason") in WAITING_REASONS \
                or in_progress(ks):
            continue
        line = f"{ref(ks)}: {c.get('reason', '')}: {c.get('message', '')[:300]}"
        secret = (((ks.get("spec") or {}).get("decryption") or {}).get("secretRef") or {}).get("name")
        ns = ks["metadata"].get("namespace", NS)
        # -o name only: the Secret's data never leaves the API server.
        if secret and not session.kubectl.run("get", "secret", "-n", ns, secret, "-o", "name", "--ignore-not-found",
                                              timeout=30).stdout.strip():
            line += (f" (the decryption Secret {ns}/{secret} does not exist: run secrets.decryption again now that "
                     f"{ns} exists)")
        out.append(line)
    return out
