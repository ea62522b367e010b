"""The text of files that hold Secrets, as the sops conversion reads it: where each document's lines
are, which values are secret in that file, and the plaintext that goes to sops.

Works on lines, not on a re-serialised YAML, so comments and layout reach sops as the owner wrote
them; only comment lines that repeat a secret value are dropped.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from ..repo.scan import _Loader, load_documents
from .detect import secret_values


@dataclass
class Span:
    seg_start: int  # first line of the document's segment (its `---` and leading comments)
    node_start: int  # first line of the document's content
    end: int  # one past its last line


def spans(text: str) -> list[Span]:
    """Line spans of every document (0-based, end exclusive), from the composer's marks."""
    lines = text.splitlines(True)
    ends: list[tuple[int, int]] = []
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            em = node.end_mark
            ends.append((node.start_mark.line, em.line + (1 if em.column > 0 else 0)))
    finally:
        loader.dispose()
    out, prev = [], 0
    for i, (start, end) in enumerate(ends):
        end = len(lines) if i == len(ends) - 1 else end
        out.append(Span(prev, start, end))
        prev = end
    return out


def values_of(doc: dict) -> list[str]:
    """The literal values of a Secret (and the decoded form of `data`), for scrubbing comments."""
    out = []
    for k, v in secret_values(doc).items():
        s = str(v)
        out.append(s)
        if k.startswith("data."):
            try:
                out.append(base64.b64decode(s, validate=True).decode())
            except (ValueError, UnicodeDecodeError):
                pass
    return [v for v in out if len(v.strip()) >= 6]


def _scalars(obj, out: set[str]) -> set[str]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(str(k))
            _scalars(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _scalars(v, out)
    elif obj is not None:
        out.add(str(obj))
    return out


def hidden_values(docs: list, secret_idx: list[int]) -> list[str]:
    """The Secrets' values that the file does not already show in plaintext elsewhere.

    `POSTGRES_USER: homelab` beside `namespace: homelab`, or a user name the StatefulSet's env
    repeats, is public in that very file: a comment or the metadata that shows it is no leak,
    and dropping comments for it would only lose them."""
    public: set[str] = set()
    for i, d in enumerate(docs):
        if i in secret_idx and isinstance(d, dict):
            d = {k: v for k, v in d.items() if k not in ("data", "stringData")}
        _scalars(d, public)
    return [v for i in secret_idx for v in values_of(docs[i]) if v not in public]


def shows_a_value(enc: str, hidden: list[str]) -> bool:
    """Does sops output still show a secret: a data/stringData value left unencrypted, or a comment
    holding a hidden value? (Checked on the structure, so a value that also names the namespace
    does not count as seen.)"""
    for _, d in load_documents(enc):
        for block in ((d.get("data"), d.get("stringData")) if isinstance(d, dict) else ()):
            for v in (block.values() if isinstance(block, dict) else ()):
                if v not in ("", None) and not (isinstance(v, str) and v.startswith("ENC[")):
                    return True
    return any(ln.lstrip().startswith("#") and v in ln for ln in enc.splitlines() for v in hidden)


def scrub_comments(lines: list[str], values: list[str]) -> tuple[list[str], int]:
    """Drop full-line comments that contain a secret value; returns (lines, number dropped)."""
    keep, dropped = [], 0
    for ln in lines:
        if ln.lstrip().startswith("#") and any(v in ln for v in values):
            dropped += 1
            continue
        keep.append(ln)
    return keep, dropped


_DOC_MARKER = re.compile(r"^(---|\.\.\.)\s*$")


def _secret_segments(lines: list[str], sp: list[Span], secret_idx: list[int]) -> list[str]:
    """The Secret documents' lines, each opened by exactly one `---` (the split-off file holds several).

    A segment may start with a comment-only document (`# Credentials: …` then `---`): its marker
    is dropped, or sops would get an empty document and encrypt it into one of bare metadata."""
    body = []
    for i in secret_idx:
        head = [ln for ln in lines[sp[i].seg_start:sp[i].node_start] if ln.strip() and not _DOC_MARKER.match(ln)]
        content = lines[sp[i].node_start:sp[i].end]
        body += (head + content) if content and content[0].startswith("---") else ["---\n", *head, *content]
    return body


def _without_empty_documents(lines: list[str], sp: list[Span], docs: list) -> list[str]:
    """`lines` without the `---` of documents that hold nothing (their comments stay): sops would
    encrypt an empty document into one of bare metadata, which decrypts to `{}` and which no
    kustomize build accepts."""
    empty = {n for i, d in enumerate(docs) if d is None for n in range(sp[i].seg_start, sp[i].end)}
    return [ln for n, ln in enumerate(lines) if not (n in empty and _DOC_MARKER.match(ln))]


def sops_plaintext(lines: list[str], sp: list[Span], docs: list, secret_idx: list[int], values: list[str],
                    split: bool) -> tuple[str, list[str] | None, int]:
    """(text to encrypt, lines left in the original file when split, comment lines dropped)."""
    if not split:
        scrubbed, dropped = scrub_comments(_without_empty_documents(lines, sp, docs), values)
        return "".join(scrubbed), None, dropped
    plain = "".join(scrub_comments(_secret_segments(lines, sp, secret_idx), values)[0])
    keep = [ln for i in range(len(sp)) if i not in secret_idx for ln in lines[sp[i].seg_start:sp[i].end]]
    rest, dropped = scrub_comments(keep, values)
    return plain, rest, dropped
