"""The kubeconfig's contexts and the server each points at: what 1.0 asks the user to choose from.

Read from `kubectl config view -o json` (not --raw: credentials stay redacted by kubectl), so the
merged KUBECONFIG list or --kubeconfig file is read exactly as every later kubectl call reads it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..checklist import Question


@dataclass(frozen=True)
class KubeContext:
    name: str
    server: str  # "" when the context names a cluster the kubeconfig does not define
    current: bool  # the kubeconfig's current-context

    @property
    def label(self) -> str:
        return f"{self.name}  →  {self.server or '(no server in the kubeconfig)'}"


def contexts_in(config: dict) -> list[KubeContext]:
    """The contexts of a `kubectl config view -o json` document, in its order (kubectl sorts them by name)."""
    servers = {c.get("name"): (c.get("cluster") or {}).get("server") or "" for c in config.get("clusters") or []}
    current = config.get("current-context") or ""
    return [KubeContext(c["name"], servers.get((c.get("context") or {}).get("cluster"), ""), c["name"] == current)
            for c in config.get("contexts") or [] if c.get("name")]


def list_contexts(runner, kubeconfig: str | None = None) -> list[KubeContext]:
    """The contexts of the kubeconfig kubectl reads (`kubeconfig`, else KUBECONFIG, else ~/.kube/config).
    Raises ToolError when kubectl is missing or cannot parse the file."""
    from ..tools.kubectl import Kubectl

    return contexts_in(Kubectl(runner, kubeconfig=kubeconfig).config_view())


def context_question(contexts: list[KubeContext], default: str | None = None) -> Question:
    """Which context 1.0 pins, one choice per context labelled with its server (a home and a work
    cluster side by side are told apart by the address, not by a name such as 'default')."""
    default = default or next((c.name for c in contexts if c.current), None)
    # A short prompt: a form's label does not wrap at 80 columns; the rest is help text, which does.
    return Question("context", "Which cluster should the wizard migrate?",
                    choices=[(c.name, c.label) for c in contexts], default=default,
                    help="Your kubeconfig's contexts, each with its API server. Every kubectl and flux command "
                         "then runs with this --context, whatever 'kubectl config use-context' says later.")
