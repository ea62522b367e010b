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
    """Every group version the cluster serves ("v1", "apps/v1", …). Raises ToolError when it cannot be read."""
    versions = {str(v) for v in _raw(kubectl, "/api").get("versions") or []}
    for g in _raw(kubectl, "/apis").get("groups") or []:
        versions |= {str(v.get("groupVersion")) for v in g.get("versions") or [] if v.get("groupVersion")}
    return versions


def read_served(kubectl: Kubectl, used: set[tuple[str, str]]) -> Served:
    """What the cluster serves, with the kinds of the served versions that the removals table lists for
    the (apiVersion, kind) pairs in `used` (usually none on a current cluster: no extra call)."""
    versions = served_versions(kubectl)
    kinds: set[tuple[str, str]] = set()
    for av in sorted(table_versions_to_read(versions, used)):
        url = "/api/v1" if av == "v1" else f"/apis/{av}"
        kinds |= {(av, str(r.get("kind"))) for r in _raw(kubectl, url).get("resources") or []}
    return Served(frozenset(versions), frozenset(kinds))
