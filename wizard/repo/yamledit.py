"""Edits of YAML files the wizard rewrites, with ruamel.yaml round-trip.

Comments, quotes, key order, the file's indentation and a leading `---` survive; the
comment block before a leading `---` (which ruamel would drop) is carried over verbatim.
After every edit the result is parsed again and compared with the original: only the
intended change may differ, otherwise the edit is refused. Files with a top-level `sops:`
key are never rewritten (their MAC covers the exact content).
"""
from __future__ import annotations

import io
import functools
import re

import yaml
from ruamel.yaml import YAML

from ..session import WizardError

_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class EditRefused(WizardError):
    pass


def _guess_indent(text: str) -> tuple[int, int]:
    """(mapping indent, sequence dash offset) as the file uses them."""
    lines = text.splitlines()
    mapping = seq_off = None
    for i, ln in enumerate(lines[:-1]):
        m = re.match(r"^(\s*)[^\s#-][^:]*:\s*(#.*)?$", ln)
        if not m:
            continue
        nxt = lines[i + 1]
        ind, n2 = len(m.group(1)), len(nxt) - len(nxt.lstrip())
        if nxt.lstrip().startswith("- "):
            if seq_off is None:
                seq_off = max(0, n2 - ind)
        elif n2 > ind and mapping is None and nxt.strip() and not nxt.lstrip().startswith("#"):
            mapping = n2 - ind
        if mapping is not None and seq_off is not None:
            break
    return mapping or 2, seq_off if seq_off is not None else 0


def _split_preamble(text: str) -> tuple[str, str]:
    """Leading comments/blank lines before a leading `---`, and the rest."""
    lines = text.splitlines(True)
    for i, ln in enumerate(lines):
        s = ln.strip()
        if not s or s.startswith("#"):
            continue
        if s == "---" or s.startswith("--- "):
            return "".join(lines[:i]), "".join(lines[i:])
        break
    return "", text


def _yaml(text: str) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    m, off = _guess_indent(text)
    y.indent(mapping=m, sequence=off + 2, offset=off)
    y.explicit_start = text.lstrip().startswith("---")
    return y


def round_trip(text: str, mutate) -> str:
    """Load every document of `text`, call mutate(docs), dump them back."""
    preamble, body = _split_preamble(text)
    y = _yaml(body)
    docs = list(y.load_all(body))
    mutate(docs)
    out = io.StringIO()
    y.dump_all(docs, out)
    return preamble + out.getvalue()


def _leading_comments(text: str) -> str:
    """The comment lines (and blank lines) a file starts with."""
    out = []
    for ln in text.splitlines(True):
        if ln.strip() and not ln.lstrip().startswith("#"):
            break
        out.append(ln)
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def _safe_all(text: str) -> list:
    """The documents of `text`. Cached: a run of edits to one big vendored file parses its unchanged
    documents once, not once per edit. Callers must not change what it returns (they copy first)."""
    return list(yaml.load_all(text, Loader=_SAFE))


def _bases_to_resources(docs, args) -> None:
    for d in docs:
        if not (isinstance(d, dict) and "bases" in d):
            continue
        bases = d["bases"] or []
        if d.get("resources") is None:
            # Rename the key in place: the list (and the comments on its items) stays as it is.
            if hasattr(d, "insert"):
                d.insert(list(d.keys()).index("bases"), "resources", bases)
                del d["bases"]
            else:
                items = [("resources" if k == "bases" else k, v) for k, v in d.items() if k != "resources"]
                d.clear()
                d.update(items)
            continue
        for b in list(bases):
            if b not in d["resources"]:
                d["resources"].append(b)
        del d["bases"]


def _api_version(docs, args) -> None:
    i = args["index"]
    if i < len(docs) and isinstance(docs[i], dict) and docs[i].get("apiVersion") == args["from"]:
        docs[i]["apiVersion"] = args["to"]


def _api_upgrade(docs, args) -> None:
    """Rewrite one object in a removed API version to its successor (wizard.repo.api_rewrite); in a
    `kind: List`, the item of that kind and name."""
    from .api_rewrite import rewrite

    i = args["index"]
    doc = docs[i] if i < len(docs) else None
    if not isinstance(doc, dict):
        return
    items = doc.get("items") if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list) \
        else [doc]
    for d in items:
        if isinstance(d, dict) and d.get("apiVersion") == args["from"] and d.get("kind") == args["kind"] \
                and (d.get("metadata") or {}).get("name") == args["name"]:
            rewrite(d)


def _remove_documents(docs, args) -> None:
    """Drop the documents at `indexes` (a duplicate's other copy), the rest as they are."""
    for i in sorted(set(args["indexes"]), reverse=True):
        if i < len(docs):
            del docs[i]


def _add_resource(docs, args) -> None:
    """List `name` in the kustomization's resources (an adopted object's new file), once."""
    for d in docs:
        if isinstance(d, dict) and str(d.get("kind", "Kustomization")) == "Kustomization":
            if d.get("resources") is None:
                d["resources"] = []
            if args["name"] not in [str(r).removeprefix("./") for r in d["resources"]]:
                d["resources"].append(args["name"])
            return


def _object_at(docs, args):
    """The object a manifest edit is about, by kind and name (document `index` first: another edit of the
    same plan may have removed a document before it), or the item of a `kind: List` that matches."""
    def match(x) -> bool:
        return isinstance(x, dict) and x.get("kind") == args.get("kind") and \
            isinstance(x.get("metadata"), dict) and x["metadata"].get("name") == args.get("name")

    i = args["index"]
    for d in ([docs[i]] if i < len(docs) else []) + list(docs):
        if match(d):
            return d
        if isinstance(d, dict) and d.get("kind") == "List":
            found = next((x for x in d.get("items") or [] if match(x)), None)
            if found is not None:
                return found
    return None


def _put_after(mapping, after: str, key: str, value) -> None:
    """mapping[key] = value, placed right after `after` where the mapping keeps an order."""
    if key in mapping or not hasattr(mapping, "insert") or after not in mapping:
        mapping[key] = value
        return
    mapping.insert(list(mapping.keys()).index(after) + 1, key, value)


def _set_namespace(docs, args) -> None:
    """metadata.namespace of one object that has none (kustomize-controller refuses it without)."""
    d = _object_at(docs, args)
    if d is None or not isinstance(d.get("metadata"), dict) or d["metadata"].get("namespace"):
        return
    _put_after(d["metadata"], "name", "namespace", args["namespace"])


def _kustomization_namespace(docs, args) -> None:
    for d in docs:
        if isinstance(d, dict) and str(d.get("kind", "Kustomization")) == "Kustomization":
            if not d.get("namespace"):
                _put_after(d, "kind", "namespace", args["namespace"])
            return


def _scalar_text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _data_to_string_data(docs, args) -> None:
    """A Secret's values that are not base64 go to stringData as written (the API server encodes them)."""
    d = _object_at(docs, args)
    if d is None or not isinstance(d.get("data"), dict):
        return
    moved = [(k, d["data"][k]) for k in args["keys"] if k in d["data"]]
    if not moved:
        return
    if not isinstance(d.get("stringData"), dict):
        _put_after(d, "data", "stringData", type(d["data"])())
    for k, v in moved:
        del d["data"][k]
        d["stringData"][k] = _scalar_text(v)
    if not d["data"]:
        del d["data"]


def _quote_values(docs, args) -> None:
    """Numbers and booleans in a ConfigMap's data or a Secret's stringData, as the strings the API wants."""
    d = _object_at(docs, args)
    block = d.get(args["field"]) if d is not None else None
    if not isinstance(block, dict):
        return
    for k in args["keys"]:
        if k in block and block[k] is not None and not isinstance(block[k], str):
            block[k] = _scalar_text(block[k])


def _ssa_repair(docs, args) -> None:
    """What server-side apply refuses in one object, repaired (repo/ssa_repair.py)."""
    from .ssa_repair import repair

    d = _object_at(docs, args)
    if d is not None:
        repair(d, args["repair"])


TRANSFORMS = {"bases-to-resources": _bases_to_resources, "api-version": _api_version, "api-upgrade": _api_upgrade,
              "remove-documents": _remove_documents, "add-resource": _add_resource,
              "set-namespace": _set_namespace, "kustomization-namespace": _kustomization_namespace,
              "data-to-stringdata": _data_to_string_data, "quote-values": _quote_values,
              "ssa-repair": _ssa_repair}


def _expected(old_docs: list, transform: str, args: dict) -> list:
    import copy

    docs = copy.deepcopy(old_docs)
    TRANSFORMS[transform](docs, args)
    return docs


# Transforms that change one document, named by args["index"]: only that document's text is
# round-tripped, so a one-line change in a 9,000-line vendored manifest stays a one-line diff.
ONE_DOCUMENT = {"api-version", "api-upgrade", "ssa-repair"}
_SEPARATOR = re.compile(r"^---(\s|$)")


def split_documents(text: str, docs: list) -> list[tuple[str, bool]] | None:
    """The file's text cut at its `---` lines: (chunk, holds a document), the document chunks in the
    order of `docs`. None when the cut does not give back exactly `docs` (then the whole file is edited)."""
    chunks: list[str] = []
    for line in text.splitlines(True):
        if not chunks or _SEPARATOR.match(line):
            chunks.append("")
        chunks[-1] += line
    out = []
    for chunk in chunks:
        explicit = bool(_SEPARATOR.match(chunk))
        blank = all(not ln.strip() or ln.lstrip().startswith("#") for ln in chunk.splitlines())
        out.append((chunk, explicit or not blank))  # comments before the first `---` are no document
    try:
        parsed = [d for chunk, is_doc in out if is_doc for d in (_safe_all(chunk) or [None])]
    except yaml.YAMLError:
        return None
    return out if parsed == docs else None


def _edit_one_document(text: str, old_docs: list, transform: str, args: dict) -> str | None:
    chunks = split_documents(text, old_docs)
    if chunks is None:
        return None
    positions = [i for i, (_, is_doc) in enumerate(chunks) if is_doc]
    at = positions[args["index"]]
    chunk = chunks[at][0]
    edited = round_trip(chunk, lambda docs: TRANSFORMS[transform](docs, dict(args, index=0)))
    edited = edited.rstrip("\n") + chunk[len(chunk.rstrip("\n")):]  # the blank lines before the next `---`
    return "".join(edited if i == at else c for i, (c, _) in enumerate(chunks))


def _remove_chunks(text: str, old_docs: list, indexes: list[int]) -> str | None:
    """The file without the text of those documents (the others byte for byte), or None when the file
    cannot be cut at its `---` lines. The file's leading comments stay, as with a round-trip."""
    chunks = split_documents(text, old_docs)
    if chunks is None:
        return None
    positions = [i for i, (_, is_doc) in enumerate(chunks) if is_doc]
    gone = {positions[i] for i in indexes if i < len(positions)}
    out = []
    for i, (chunk, _) in enumerate(chunks):
        if i not in gone:
            out.append(chunk)
        elif i == 0 and not _SEPARATOR.match(chunk):
            out.append(_leading_comments(chunk))
    return "".join(out)


def apply_transform(text: str, transform: str, args: dict, path: str = "?") -> str:
    """`text` after the edit (equal to `text` when there is nothing to change)."""
    old_docs = _safe_all(text)
    if any(isinstance(d, dict) and isinstance(d.get("sops"), dict) for d in old_docs):
        raise EditRefused(f"{path} is encrypted with SOPS; the wizard never rewrites encrypted files. Make the change "
                          "with 'sops edit' instead.")
    want = _expected(old_docs, transform, args)
    if want == old_docs:
        return text
    new = None
    if transform in ONE_DOCUMENT:
        new = _edit_one_document(text, old_docs, transform, args)
    elif transform == "remove-documents":
        new = _remove_chunks(text, old_docs, args["indexes"])
    if new is None:
        new = round_trip(text, lambda docs: TRANSFORMS[transform](docs, args))
    if transform == "remove-documents":
        # ruamel attaches the file's leading comments to the first document: keep them with the file.
        head = _leading_comments(text)
        if head and not new.startswith(head):
            new = head + new.lstrip("\n")
    if _safe_all(new) != want:
        raise EditRefused(f"editing {path} ({transform}) would change more than intended; the file was left "
                          "untouched. Make the change by hand.")
    return new
