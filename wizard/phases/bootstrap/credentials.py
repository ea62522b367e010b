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
