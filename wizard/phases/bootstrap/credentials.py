"""3.1 bootstrap.credentials: the git provider and its token, read from the environment or a prompt, never stored."""
from __future__ import annotations

from ...journal import Kind
from ...checklist import Item, Plan, Step, Verdict
from ...flux import creds
from .common import GIT_AUTH, GIT_URL, PROVIDER, SSH_KEY, branch_of


# -- 3.1 ----------------------------------------------------------------------------------------
class Credentials(Item):
    questions = (PROVIDER, GIT_URL, GIT_AUTH, SSH_KEY)

    def suggested(self, session) -> dict[str, str]:
        """The provider the remote's URL implies (github.com: GitHub; anything else: a plain git server)."""
        url = session.answers.get("git-url") or creds.default_remote_url(session)
        if not url:
            return {}
        return {"provider": creds.infer_provider(url),
                "git-auth": "ssh" if creds.parse_url(url).scheme == "ssh" else "token"}

    def verify(self, session) -> Verdict:
        if not any(e.get("action") == Kind.CREDENTIALS_CHOSEN for e in session.state.journal):
            return Verdict("pending", "no provider chosen yet; run bootstrap.credentials (answer provider=github|gitea|git)")
        cred = creds.resolve(session, need_token=False)
        if cred.auth == "token" and not cred.token:
            return self._by_flux(session, cred)
        res = creds.ls_remote(session, cred, f"refs/heads/{branch_of(session)}")
        ev = {"provider": cred.provider, "url": cred.http_url, "auth": cred.auth, "credential": cred.source,
              "command": res.command, "exit_code": res.exit_code}
        if res.exit_code != 0:
            last = (res.stderr.strip().splitlines() or ["?"])[-1]
            return Verdict("failed", f"git ls-remote {cred.http_url} with the {cred.source} failed: {last}. Check the "
                                     "token's scopes (or the deploy key's write access) and the URL.", ev)
        ev["branch_exists"] = bool(res.stdout.strip())
        return Verdict("passed", f"{cred.describe()}: git ls-remote works with it (the token is never stored)", ev)

    def _by_flux(self, session, cred) -> Verdict:
        """No token in this session (a new one): once bootstrapped, the credential bootstrap gave Flux
        (Secret flux-system/flux-system) is checked by what it does: source-controller fetches the
        repository with it. Before that, there is nothing to check it with: the token is needed."""
        from ...flux.status import describe_condition, is_true
        from .run import existing

        if not any(e.get("action") in (Kind.BOOTSTRAPPED, Kind.BOOTSTRAP_ADOPTED) for e in session.state.journal):
            creds.resolve(session)  # Blocked: "no token: export …"
        session.ensure_same_cluster()
        ex = existing(session)
        repo = ex["gitrepository"]
        ev = {"provider": cred.provider, "url": cred.http_url, "auth": cred.auth, "credential": "Secret flux-system/flux-system (Flux's own)",
              "sync_url": ex["url"], "gitrepository": describe_condition(repo)}
        same = ex["url"] is not None and creds.parse_url(ex["url"]).key == cred.repo.key
        if repo is None or not same:
            return Verdict("blocked", f"no token in this session, and Flux does not fetch {cred.http_url} (GitRepository "
                                      f"flux-system/flux-system: {ev['gitrepository'] if repo else 'missing'}): export "
                                      f"{cred.source} to check the token.", ev)
        if not is_true(repo):
            return Verdict("failed", f"Flux cannot fetch {cred.http_url} with its credential (Secret flux-system/"
                                     f"flux-system): {ev['gitrepository']}. Check the deploy key or token it holds.", ev)
        rev = ((repo.get("status") or {}).get("artifact") or {}).get("revision", "?")
        return Verdict("passed", f"Flux fetches {cred.http_url} with the credential bootstrap gave it (at {rev}); this "
                                 f"session has no token, so export {cred.source} to check the token itself", ev)

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
