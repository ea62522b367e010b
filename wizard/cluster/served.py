"""Which API versions the cluster serves, read from its discovery documents as JSON.

`kubectl api-resources` lists only each group's preferred version, so it cannot say whether
policy/v1beta1 is still served beside policy/v1; the discovery documents list every version.
"""
from __future__ import annotations

from ..repo.removed_apis import Served, table_versions_to_read
from ..tools.kubectl import Kubectl


def _raw(kubectl: Kubectl, url: str) -> dict:
    return kubectl.run("get", "--raw", url, "--request-timeout=20s", timeout=40).json()


def served_versions(kubectl: Kubectl) -> set[str]:
    """Every group version the cluster serves ("v1", "apps/v1", …), every version of every group (not only the
    preferred one), read fresh from the server by `kubectl api-versions` (one group/version per line, the
    list the discovery documents /api and /apis hold, in one command instead of two). Raises ToolError when
    it cannot be read."""
    out = kubectl.run("api-versions", "--request-timeout=20s", timeout=40).stdout
    return {line.strip() for line in out.splitlines() if line.strip() and " " not in line.strip()}


def read_served(kubectl: Kubectl, used: set[tuple[str, str]], versions: set[str] | None = None) -> Served:
    """What the cluster serves, with the kinds of the served versions that the removals table lists for
    the (apiVersion, kind) pairs in `used` (usually none on a current cluster: no extra call). `versions`:
    the served versions when already read (served_versions_of)."""
    versions = served_versions(kubectl) if versions is None else versions
    kinds: set[tuple[str, str]] = set()
    for av in sorted(table_versions_to_read(versions, used)):
        url = "/api/v1" if av == "v1" else f"/apis/{av}"
        kinds |= {(av, str(r.get("kind"))) for r in _raw(kubectl, url).get("resources") or []}
    return Served(frozenset(versions), frozenset(kinds))


def _preferred(kubectl: Kubectl) -> dict[str, list[dict]] | None:
    """{apiVersion: its resources} for each group's preferred version, from one `api-resources -o json`
    (kubectl 1.31 and later); None when that cannot be read (an older kubectl, an aggregated API down)."""
    from ..runner import ToolError

    try:
        doc = kubectl.run("api-resources", "-o", "json", "--request-timeout=20s", timeout=40).json()
    except (ToolError, ValueError):
        return None
    out: dict[str, list[dict]] = {}
    for r in doc.get("resources") or []:
        if not isinstance(r, dict) or not r.get("version"):
            return None  # not the shape this reads: ask per version instead
        av = f"{r['group']}/{r['version']}" if r.get("group") else str(r["version"])
        out.setdefault(av, []).append({"name": r.get("name"), "kind": r.get("kind"),
                                       "namespaced": bool(r.get("namespaced"))})
    return out


def discovery_document(session, av: str) -> dict | None:
    """The discovery document of apiVersion `av` ({"resources": [...]}), None when the cluster does not serve
    it. One command answers for every preferred version (api-resources) and the list of served versions
    answers "not served" without a call: a Phase 2 run asked `get --raw` once per version, twice (the
    dry-run and the namespace facts each kept their own copy). Remembered as wizard/cluster/memo.py says."""
    from .memo import remembered

    k = session.kubectl
    versions = served_versions_of(session)
    if av not in versions:
        return None
    preferred = remembered(session, "api-resources", lambda: _preferred(k))
    if preferred is not None and av in preferred:
        return {"resources": preferred[av]}
    url = "/api/v1" if av == "v1" else f"/apis/{av}"
    return remembered(session, f"raw:{url}", lambda: _raw(k, url))


def served_versions_of(session) -> set[str]:
    """served_versions of the session's cluster, remembered as wizard/cluster/memo.py says (every user of
    discovery in one run reads the same two documents once)."""
    from .memo import remembered

    k = session.kubectl
    return remembered(session, "served-versions", lambda: served_versions(k))
