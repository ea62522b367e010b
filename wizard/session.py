"""A Session ties one repository to its state, its tools and (optionally) one cluster.

It is what every item receives. It pins kubectl and flux to one kubeconfig and context and
guards cluster actions: before anything touches the cluster, the live identity must equal
the pinned one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import paths
from .paths import find_git_dirs  # noqa: F401 - re-exported (it lived here)
from .redact import default_redactor
from .runner import CancelToken, Runner, ToolError
from .state import ClusterIdentity, StateStore

SAME_CLUSTER_SECONDS = 10.0

if TYPE_CHECKING:
    from .tools.flux import Flux
    from .tools.git import Git
    from .tools.kubectl import Kubectl
    from .tools.sops import Age, Kubeseal, Sops
# The tool wrappers are imported where they are first used: `status` never runs a tool, and
# its start-up time is a benchmark target (benchmarks/status_json.py).


class WizardError(Exception):
    """An error the user can act on; `exit_code` follows DESIGN.md."""

    exit_code = 1


class UsageError(WizardError):
    exit_code = 2


class Blocked(WizardError):
    """Cannot go on yet. `needs` names the checklist items that must pass first when the item found
    them itself (beyond the catalog's declared prerequisites); the engine stores them so `next`
    leads there, and back."""

    exit_code = 3

    def __init__(self, message: str = "", needs: tuple[str, ...] | list[str] = ()) -> None:
        super().__init__(message)
        self.needs = tuple(needs)


class NeedsAnswers(Blocked):
    """Blocked until the user answers `questions` (declared checklist.Question objects, so the CLI's
    --set, --plain and the TUI's form can all ask them). Nothing was changed."""

    def __init__(self, message: str, questions: list, needs: tuple[str, ...] = ()) -> None:
        keys = ", ".join(q.key for q in questions[:8]) + (" …" if len(questions) > 8 else "")
        super().__init__(f"{message} (nothing was changed; questions to answer: {keys})", needs)
        self.questions = questions


class Refused(WizardError):
    exit_code = 4


class NotAGitRepo(UsageError):
    pass


def _missing_kubeconfig(explicit: str | None) -> str | None:
    """The kubeconfig path kubectl would read, when no such file exists (else None)."""
    import os

    paths = [explicit] if explicit else [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    paths = paths or [os.path.expanduser("~/.kube/config")]
    return None if any(Path(p).is_file() for p in paths) else ", ".join(paths)


@dataclass
class Session:
    repo: Path
    git_dir: Path
    store: StateStore
    runner: Runner
    kubeconfig: str | None = None
    context: str | None = None
    cancel: CancelToken = field(default_factory=CancelToken)
    # Tokens typed at a no-echo prompt, {ENV_VAR: value}: in memory for this session only, never saved
    # (wizard.flux.prompt.remember_prompted_token registers them with the redactor first).
    prompted_tokens: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # Set on the copy of a session that works in a scratch worktree (wizard/phases/repo/proof.py):
    # the folder moves made there (new -> old), and no calls to the cluster.
    scratch_moves: dict[str, str] | None = field(default=None, repr=False, compare=False)
    # Cluster facts that many checks of one run need (served API groups): key -> (monotonic time, value).
    # Shared with scratch copies, which make no cluster calls of their own.
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Read at each call, not now: a front end gives every piece of work a fresh token. A scratch copy
        # (repo/proof.py) shares its parent's runner and must not take the token source over from it.
        if self.scratch_moves is None:
            self.runner.current_cancel = lambda: self.cancel

    # -- construction ------------------------------------------------------------
    @classmethod
    def open(cls, repo: Path | str, *, kubeconfig: str | None = None, context: str | None = None,
             runner: Runner | None = None) -> "Session":
        """Find the git repository at `repo`; raises NotAGitRepo with what to do."""
        repo = Path(repo).expanduser().resolve()
        if not repo.is_dir():
            raise NotAGitRepo(f"{repo} does not exist; pass --repo with the path of your manifests repository, "
                              "or try 'homelab-wizard demo'.")
        found = find_git_dirs(repo)
        if found is None:
            from .tools.git import Git

            probe = Runner(audit_log=None)
            top = Git(probe, repo=repo).toplevel()
            if top is None:
                raise NotAGitRepo(f"{repo} is not inside a git repository; run the wizard in your manifests "
                                  "repository (or 'git init' it first), or try 'homelab-wizard demo'.")
            found = top, Git(probe, repo=top).git_dir()
        top, git_dir = found
        sdir = paths.state_dir(git_dir)
        runner = runner or Runner(audit_log=sdir / "audit.jsonl", redactor=default_redactor())
        if runner.audit_log is None:
            runner.audit_log = sdir / "audit.jsonl"
        store = StateStore(sdir, top)
        return cls(repo=top, git_dir=git_dir, store=store, runner=runner, kubeconfig=kubeconfig, context=context)

    @property
    def state(self):
        return self.store.state

    @property
    def answers(self) -> dict:
        return self.store.state.answers

    # -- tools, pinned -----------------------------------------------------------------
    def _pins(self) -> tuple[str | None, str | None]:
        state = self.store.state
        pinned = state.cluster if state else None
        kubeconfig = self.kubeconfig or (pinned.kubeconfig if pinned else None)
        # An explicit --context wins; then the context chosen in 1.0 (answer context=NAME), which may
        # differ from the pin: the identity guards then refuse a different cluster (or 1.0 re-pins
        # with --repin); then the pin.
        chosen = state.answers.get("context") if state else None
        context = self.context or chosen or (pinned.context if pinned else None)
        return kubeconfig, context

    @property
    def kubeconfig_file(self) -> str | None:
        """The kubeconfig every tool is pinned to; None: kubectl's own (KUBECONFIG, else ~/.kube/config)."""
        return self._pins()[0]

    @property
    def kubectl(self) -> Kubectl:
        from .tools.kubectl import Kubectl

        kc, ctx = self._pins()
        if ctx is None:
            ctx = self._current_context(kc)
        return Kubectl(self.runner, kubeconfig=kc, context=ctx)

    def _current_context(self, kc: str | None) -> str | None:
        """The kubeconfig's current context: none without a kubeconfig file (no kubectl run for that), else
        kubectl's answer, remembered for SAME_CLUSTER_SECONDS (every use of `session.kubectl` asks)."""
        import time

        from .tools.kubectl import Kubectl

        if _missing_kubeconfig(kc):
            return None
        hit = self.cache.get(("current-context", kc))
        if hit is not None and time.monotonic() - hit[0] < SAME_CLUSTER_SECONDS:
            return hit[1]
        try:
            ctx = Kubectl(self.runner, kubeconfig=kc).current_context()
        except ToolError:  # kubectl missing: the checks that use it say so themselves
            ctx = None
        self.cache[("current-context", kc)] = (time.monotonic(), ctx)
        return ctx

    @property
    def flux(self) -> Flux:
        from .tools.flux import Flux

        k = self.kubectl
        return Flux(self.runner, kubeconfig=k.kubeconfig, context=k.context)

    @property
    def kubeseal(self) -> Kubeseal:
        from .tools.sops import Kubeseal

        k = self.kubectl
        return Kubeseal(self.runner, kubeconfig=k.kubeconfig, context=k.context)

    @property
    def git(self) -> Git:
        from .tools.git import Git

        return Git(self.runner, repo=self.repo)

    @property
    def sops(self) -> Sops:
        from .tools.sops import Sops

        return Sops(self.runner)

    @property
    def age(self) -> Age:
        from .tools.sops import Age

        return Age(self.runner)

    def backups_dir(self) -> Path:
        return paths.backups_dir(self.repo)

    # -- cluster identity ------------------------------------------------------------
    def live_identity(self) -> ClusterIdentity:
        """Read the identity of the cluster the pinned kubeconfig/context points at now."""
        k = self.kubectl
        if not k.context:
            missing = _missing_kubeconfig(k.kubeconfig)
            if missing:
                raise Blocked(f"there is no kubeconfig file at {missing}: point KUBECONFIG (or --kubeconfig) at your "
                              "cluster's kubeconfig, or put it at ~/.kube/config, then run the check again.")
            raise Blocked("the kubeconfig selects no context: choose one with 'kubectl config use-context NAME' "
                          "(or start the wizard with --context NAME), then run the check again.")
        try:
            server = k.server_url() or "?"
            uid = k.kube_system_uid()
        except ToolError as e:
            raise Blocked(f"the cluster of context {k.context!r} is not reachable: {e}. Check that it is running "
                          "and that the kubeconfig is right, then run the check again.") from e
        return ClusterIdentity(context=k.context, server=server, uid=uid, kubeconfig=k.kubeconfig)

    def ensure_same_cluster(self) -> ClusterIdentity:
        """Refuse (exit 4) when the live cluster is not the pinned one.

        A check that passed is trusted for SAME_CLUSTER_SECONDS: one command asks many times (each item's plan,
        proof and verify; every check of verify-all), and each asking costs two kubectl runs. A long TUI
        session still notices a switched context within seconds."""
        import time

        hit = self.cache.get("same-cluster")
        if hit is not None and hit[1] == self.state.cluster and time.monotonic() - hit[0] < SAME_CLUSTER_SECONDS:
            return hit[2]
        live = self.live_identity()
        pinned = self.state.cluster
        if pinned is None:
            raise Blocked("no cluster is pinned yet; run 1.0 prep.preflight first.", needs=("prep.preflight",))
        if not pinned.same_cluster(live):
            raise Refused(
                f"this is not the cluster the migration started on: pinned {pinned.describe()}; now "
                f"{live.describe()}. Switch back to the pinned cluster, or re-pin explicitly with "
                "1.0 prep.preflight with --repin if the cluster really was replaced."
            )
        self.cache["same-cluster"] = (time.monotonic(), pinned, live)
        return live
