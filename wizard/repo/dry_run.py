"""2.4's server-side dry-run of each Flux path, as kustomize-controller applies it: server-side, as its
field manager, with no default namespace. Kinds the cluster does not serve yet are ordering
questions; a namespace the dry-run does not find is one sentence naming its objects and the answer
that writes it (create-namespace.<ns>=write), not one raw error line per object.
"""
from __future__ import annotations

import re

from ..cluster.served import discovery_document
from ..runner import ToolError
from ..tools.manifest_stream import as_stream
from .removed_apis import not_served, upgrade_key
from .scan import group_of


def served_kinds(session, docs: list[dict]) -> tuple[set[tuple[str, str]], set[str]]:
    """({(apiVersion, kind)} served by the cluster, {apiVersion not served at all})."""
    served, missing, _ = _discover(session, docs)
    return served, missing


def _discover(session, docs: list[dict]) -> tuple[set[tuple[str, str]], set[str], dict[tuple[str, str], bool]]:
    """(served (apiVersion, kind), apiVersions not served, {(apiVersion, kind): namespaced})."""
    served: set[tuple[str, str]] = set()
    missing: set[str] = set()
    namespaced: dict[tuple[str, str], bool] = {}
    for av in sorted({d["apiVersion"] for d in docs}):
        try:
            doc = discovery_document(session, av)
        except ToolError as e:
            if "NotFound" in str(e) or "not found" in str(e).lower() or "404" in str(e):
                doc = None
            else:
                raise
        if doc is None:
            missing.add(av)
            continue
        for r in doc.get("resources", []):
            served.add((av, r.get("kind")))
            if "/" not in str(r.get("name")):
                namespaced[(av, r.get("kind"))] = bool(r.get("namespaced"))
    return served, missing, namespaced


FIELD_MANAGER = "kustomize-controller"  # the dry-run applies as Flux will: server-side, as this manager


def _label(d: dict) -> str:
    return f"{d['kind']} {d['metadata'].get('namespace') or ''}/{d['metadata']['name']}".replace(" /", " ")


def _missing_namespace(path: str, ns: str, docs: list[dict], created_by_flux: set[str]) -> tuple[str, bool]:
    """(sentence, is it only a question of order) for the namespace `ns` the dry-run did not find."""
    users = [_label(d) for d in docs if d["metadata"].get("namespace") == ns]
    names = ", ".join(users[:5]) + (" …" if len(users) > 5 else "")
    if ns == "flux-system":  # e.g. an adopted Helm release's HelmRepository
        return (f"{path}: the namespace flux-system does not exist yet; flux bootstrap (3.2) creates it before Flux "
                "applies the path"), True
    if ns in created_by_flux:
        return (f"{path}: the namespace {ns} is created by the Flux paths themselves but does not exist yet; Flux "
                "creates it first when it applies them"), True
    return (f"the namespace {ns} does not exist in the cluster and nothing in the repo creates it, yet {names} "
            f"in {path} live in it: answer create-namespace.{ns}=write and run 2.2 repo.kustomizations again "
            "(it writes the Namespace manifest), or create it by hand"), False


def server_dry_run(session, path: str, docs: list[dict], provided_earlier: set[str],
                   namespaces_created: set[str] = frozenset()) -> dict:
    """Dry-run a rendered path on the pinned cluster as kustomize-controller applies it: server-side,
    as its field manager, and with no default namespace (a namespaced object that names none is refused,
    as the controller refuses it). Returns {ok, errors, questions}."""
    served, missing, namespaced = _discover(session, docs)
    created = set(namespaces_created) | {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"}
    questions, send, sealed, errors = [], [], [], []
    for d in docs:
        if "sops" in d:
            # sops-encrypted: Flux decrypts it before it applies (S.4 checks that it can). Sent as it
            # is, the API server refuses the `sops` field; decrypting it here would only copy a secret.
            sealed.append(f"{d['kind']} {d['metadata'].get('namespace') or ''}/{d['metadata']['name']}")
            continue
        if (d["apiVersion"], d["kind"]) in served:
            if namespaced.get((d["apiVersion"], d["kind"])) and not d["metadata"].get("namespace"):
                # kubectl would put it in the context's namespace; kustomize-controller refuses it.
                errors.append(f"{d['kind']}/{d['metadata']['name']} namespace not specified (kustomize-controller "
                              "refuses it): run 2.2 repo.kustomizations to give it the namespace it lives in")
                continue
            send.append(d)
            continue
        gone = not_served(d["apiVersion"], d["kind"])
        if gone is not None:  # no CRD can bring it back: an error, not an ordering question
            errors.append(f"{d['kind']} {d['metadata']['name']} in {path} is {gone.said}, so no CRD can provide it: "
                          f"answer {upgrade_key(d)}={gone.answers} and run repo.kustomizations again")
            continue
        g = group_of(d["apiVersion"])
        by = "installed by an earlier Flux Kustomization (dependsOn orders it)" if g in provided_earlier else \
            "not installed by anything in this repo: install it first (or add its HelmRelease to infrastructure)"
        questions.append(f"{d['kind']} {d['metadata']['name']} in {path}: the cluster does not serve "
                         f"{d['apiVersion']} yet; its CRD is {by}")
    if send:
        text = as_stream(send)
        # Only the refusals (stderr) are read: `-o name`, not the JSON of every object, which kubectl would
        # print and the wizard drop.
        res = session.kubectl.run("apply", "--server-side", "--dry-run=server", f"--field-manager={FIELD_MANAGER}",
                                  "--force-conflicts", "-f", "-", "-o", "name", "--request-timeout=60s",
                                  stdin=text, stdin_is_secret=any(d["kind"] == "Secret" for d in send),
                                  ok_codes=(0, 1), timeout=120, log_output=False)
        said: set[str] = set()
        for line in res.stderr.splitlines():
            line = line.strip()
            if not line or line.startswith("Warning:"):
                continue
            m = re.search(r'namespaces? "([^"]+)" not found', line)
            if m:
                if m.group(1) not in said:  # one sentence per namespace, not one raw line per object
                    said.add(m.group(1))
                    sentence, only_order = _missing_namespace(path, m.group(1), send, created)
                    (questions if only_order else errors).append(sentence)
                continue
            errors.append(line)
    return {"path": path, "sent": len(send), "errors": errors, "questions": questions, "left_to_flux_decryption": sealed}
