"""The classes the scan gives a file (FileInfo.cls), and the class of a file that holds no Kubernetes object,
from its name, place and shape (a CI workflow, a compose file, Helm values, empty, other YAML)."""
from __future__ import annotations

from pathlib import PurePosixPath

K8S, KUSTOMIZATION, HELM_TEMPLATE, HELM_VALUES, HELM_CHART, COMPOSE, CI, OTHER, EMPTY, INVALID = (
    "k8s", "kustomization", "helm-template", "helm-values", "helm-chart", "compose", "ci", "other", "empty", "invalid")


def classify_non_object(rel: str, docs: list) -> str:
    """The class of a file without Kubernetes objects, from its name, place and shape."""
    p = PurePosixPath(rel)
    name = p.name.lower()
    parts = [x.lower() for x in p.parts]
    if _is_ci(name, parts):
        return CI
    if _is_compose(name, docs):
        return COMPOSE
    if name.startswith("values") and p.suffix in (".yaml", ".yml"):
        return HELM_VALUES
    if not any(d is not None for d in docs):
        return EMPTY
    return OTHER


def _is_ci(name: str, parts: list[str]) -> bool:
    return (len(parts) >= 3 and parts[0] == ".github" and parts[1] == "workflows") or name in (
        ".gitlab-ci.yml", ".drone.yml", "bitbucket-pipelines.yml", "azure-pipelines.yml") or ".woodpecker" in parts


def _is_compose(name: str, docs: list) -> bool:
    """A compose file by its name, or by its shape (services that each name an image or a build)."""
    if name.startswith(("docker-compose", "compose.")) or name in ("compose.yaml", "compose.yml"):
        return True
    first = next((d for d in docs if d is not None), None)
    return isinstance(first, dict) and isinstance(first.get("services"), dict) and all(
        isinstance(s, dict) and ("image" in s or "build" in s) for s in first["services"].values() if s is not None)
