"""3.2 bootstrap.run: flux bootstrap with the pinned context, then the local clone fast-forwarded."""
from __future__ import annotations

from ...journal import Kind
from ...checklist import Item, Plan, Step, Verdict
from ...flux import creds
from ...flux.status import (GITREPO_RESOURCE, KS_RESOURCE, NS, describe_condition, get_or_none, is_true)
from ...repo import gitstate
from ...runner import ToolError
from ...session import Refused, WizardError
from .common import ADOPTED, AFTER_BOOTSTRAP, BOOTSTRAPPED, CA_FILE, EXISTING, FAILED, IMAGES, IMAGE_COMPONENTS, NETPOL, PERSONAL, PRIVATE, STARTED, branch_of, cluster_path, decrypting, norm_path, stored_path


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


# -- 3.2 ----------------------------------------------------------------------------------------
def existing(session) -> dict:
    """What the cluster already has of a bootstrap: namespace, sync objects, their path and URL."""
    k = session.kubectl
    ns = get_or_none(k, "namespace", NS)
    repo = get_or_none(k, GITREPO_RESOURCE, "-n", NS, "flux-system") if ns else None
    ks = get_or_none(k, KS_RESOURCE, "-n", NS, "flux-system") if ns else None
    return {"namespace": ns is not None, "gitrepository": repo, "kustomization": ks,
            "path": norm_path((ks or {}).get("spec", {}).get("path")) if ks else None,
            "url": (repo or {}).get("spec", {}).get("url"),
            "branch": ((repo or {}).get("spec", {}).get("ref") or {}).get("branch")}


def remote_has_flux_system(session, cred: creds.Credential, branch: str, path: str) -> bool | None:
    """Fetch the branch with the bootstrap credential (without a token in this session: from the remote
    2.5 pushes to, with the owner's own git credentials); True when <path>/flux-system/gotk-sync.yaml
    is in it, None when it cannot be fetched."""
    if cred.auth == "ssh" or cred.token:
        env, secret = cred.git_env()
        url = cred.http_url if cred.auth == "token" else cred.repo.url
        res = session.runner.run(["git", "-C", str(session.repo), *cred.git_args(), "fetch", "--no-tags", "-q", url,
                                  f"refs/heads/{branch}"], env=env, secret_env=secret, ok_codes=tuple(range(256)),
                                 timeout=120)
    else:
        res = session.git.run("fetch", "--no-tags", "-q", session.answers.get("remote", "origin"),
                              f"refs/heads/{branch}", ok_codes=tuple(range(256)), timeout=120)
    if res.exit_code != 0:
        return None
    have = session.git.run("cat-file", "-e", f"FETCH_HEAD:{path}/flux-system/gotk-sync.yaml", ok_codes=(0, 1, 128))
    return have.exit_code == 0


def syncs_itself_from_git(ks: dict | None) -> bool:
    """The flux-system Kustomization is Ready and its inventory holds the GitRepository flux-system, which
    it can only have applied from gotk-sync.yaml in git."""
    from ...flux.status import inventory_keys

    return bool(ks) and is_true(ks) and any((k.kind, k.namespace, k.name) == ("GitRepository", NS, "flux-system")
                                            for k in inventory_keys(ks))


class Run(Item):
    questions = (PERSONAL, PRIVATE, IMAGES, NETPOL, EXISTING, CA_FILE)

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
        cred = creds.resolve(session, need_token=False)  # it only reads: a new session needs no token
        ex = existing(session)
        ev = {"path": path, "branch": branch, "cluster_path": ex["path"], "sync_url": ex["url"],
              "how": done[-1]["action"]}
        if ex["kustomization"] is None or ex["gitrepository"] is None:
            return Verdict("failed", "the flux-system GitRepository/Kustomization are missing from the cluster; "
                                     "run bootstrap.run again", ev)
        if ex["path"] != path:
            return Verdict("failed", f"Kustomization flux-system/flux-system syncs ./{ex['path']}, not ./{path}", ev)
        in_git = remote_has_flux_system(session, cred, branch, path)
        if in_git is None and not cred.token and cred.auth != "ssh" and syncs_itself_from_git(ex["kustomization"]):
            # No token here and the remote cannot be read without one: Flux read it with its own
            # credential, and applies its own sync objects from <path>/flux-system/ in git.
            in_git, ev["checked_by"] = True, "Flux's own credential (the flux-system Kustomization applies its sync)"
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
        if earlier and norm_path(earlier) != path:
            raise Refused(f"an earlier bootstrap of this cluster used --path={earlier}; bootstrapping again with "
                          f"--path={path} would fail ('would overwrite path') or leave two syncs. Set the cluster "
                          f"name back (answer cluster={earlier.split('/')[-1]}), or uninstall Flux first.")
        ex = existing(session)
        if ex["path"] is not None and ex["path"] != path:
            raise Refused(f"this cluster is already bootstrapped: Kustomization flux-system/flux-system syncs "
                          f"./{ex['path']} from {ex['url']}. A bootstrap with --path={path} would not replace it; keep "
                          f"answer cluster={ex['path'].split('/')[-1]}, or uninstall Flux first "
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
                             Step("info", "to re-run it anyway: answer existing-bootstrap=rerun")],
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
            steps.append(_age_key_step(session))
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
                hint = " The server's certificate is not trusted: answer ca-file=<CA bundle>."
            elif "protected branch" in msg:
                hint = " The branch is protected: bootstrap to another branch (answer branch=…)."
            raise WizardError(f"flux bootstrap did not finish: {msg}.{hint} Run bootstrap.run again when fixed: "
                              "bootstrap is idempotent and finishes a half-done run.") from e
        head = creds.remote_head(session, cred, d["branch"])
        session.state.record(BOOTSTRAPPED, item=self.id, path=d["path"], url=d["url"], branch=d["branch"],
                             remote_head=head)
        session.store.save()
        self._fast_forward(session, cred, d["branch"], progress)
        if decrypting(session):
            _give_flux_the_age_key(session, progress)

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


def _age_key_step(session) -> Step:
    """What the plan says about the sops-age Secret: made right after bootstrap when S.2's key exists."""
    from ...secrets import keys

    if not keys.age_key(session).exists:
        return Step("info", AFTER_BOOTSTRAP)
    return Step("command", "kubectl apply --server-side -f - (Secret flux-system/sops-age, key age.agekey, the private "
                           "key through stdin)", "right after bootstrap, so the Kustomizations that decrypt never fail "
                                                 "for want of it (the key is secrets.keys'; S.4 checks it)")


def _give_flux_the_age_key(session, progress) -> None:
    """flux-system exists now: give Flux the age key at once (as S.4 would), so 3.4 is never red on the SOPS path."""
    from ...secrets import keys
    from ..secrets.decryption import create_sops_age, retry_decrypting, sops_age_matches

    key = keys.age_key(session)
    if not key.exists:
        progress(AFTER_BOOTSTRAP)
        return
    if not sops_age_matches(session, key.path)[0]:
        create_sops_age(session, key.path)
        progress("created Secret flux-system/sops-age (key age.agekey) for the Kustomizations that decrypt")
        retry_decrypting(session, progress)
