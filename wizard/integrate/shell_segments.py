"""The kubectl apply/create/replace commands in one logical line of a script, Makefile, Taskfile,
justfile or CI step, found by a small quote- and `$( … )`-aware scanner (no shell is run).

A *segment* is one such command: `kubectl [global flags] apply|create|replace -f|-k TARGET …`, or a
pipe `kustomize build DIR | kubectl apply -f -` (also `kubectl kustomize DIR | …`), whose target is
the folder built. `manual_apply` resolves the targets and rewrites the commands.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

VERBS = ("apply", "create", "replace")
# kubectl global flags that take a separate value (`kubectl -n ns apply …`).
VALUE_FLAGS = {"-n", "--namespace", "--context", "--kubeconfig", "-s", "--server", "--cluster", "--user", "--token",
               "--as", "--as-group", "--as-uid", "--certificate-authority", "--client-certificate", "--client-key",
               "--request-timeout", "-v", "--v", "--cache-dir", "--tls-server-name", "--profile", "--profile-output",
               "--password", "--username", "--log-file", "--vmodule"}
_START = re.compile(r"(?:(?<=^)|(?<=[\s;&|(`\"'=@+-]))(?:[\w./-]*/)?(kubectl|kustomize)(?=\s|$)")


@dataclass
class Segment:
    start: int
    end: int
    verb: str
    targets: list[str]
    text: str
    pipe: bool = False  # kustomize build X | kubectl apply -f -


def _segment_end(s: str, i: int) -> tuple[int, str]:
    """Index where the command starting at i ends, and the separator found there."""
    quote = None
    depth = 0  # inside $( … ) or ${ … }
    while i < len(s):
        c = s[i]
        if quote == "'":
            if c == "'":
                quote = None
        elif s.startswith("$(", i) or s.startswith("${", i):
            depth += 1
            i += 2
            continue
        elif depth and c in ")}":
            depth -= 1
        elif c == "\\":
            i += 2
            continue
        elif quote == '"':
            if c == '"':
                quote = None
        elif c in "\"'":
            quote = c
        elif depth:
            pass
        elif s.startswith("&&", i) or s.startswith("||", i):
            return i, s[i:i + 2]
        elif c in ";)`\n":
            return i, c
        elif c == "|":
            return i, "|"
        elif c == "#" and (i == 0 or s[i - 1].isspace()):
            return i, "#"
        i += 1
    return i, ""


def _words(text: str) -> list[str] | None:
    try:
        text = re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: "${{" + m.group(1).replace(" ", "") + "}}", text)
        return shlex.split(text.replace("\\\n", " "))
    except ValueError:
        return None


def _kubectl_verb(words: list[str]) -> tuple[str | None, list[str]]:
    i = 1
    while i < len(words):
        w = words[i]
        if w.startswith("-"):
            i += 1 if ("=" in w or w not in VALUE_FLAGS) else 2
            continue
        return w, words[i + 1:]
    return None, []


def _file_targets(args: list[str]) -> list[str]:
    out = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-f", "--filename", "-k", "--kustomize"):
            if i + 1 < len(args):
                out.append(args[i + 1])
            i += 2
            continue
        for flag in ("--filename=", "--kustomize=", "-f=", "-k="):
            if a.startswith(flag):
                out.append(a[len(flag):])
        if re.match(r"^-[fk][^=-]", a):
            out.append(a[2:])
        i += 1
    return out


def segments(s: str) -> list[Segment]:
    """kubectl apply/create/replace commands (and kustomize pipes into them) in a logical line."""
    out: list[Segment] = []
    pos = 0
    while True:
        m = _START.search(s, pos)
        if not m:
            return out
        start = m.start()
        end, sep = _segment_end(s, m.end())
        words = _words(s[start:end]) or []
        tool = m.group(1)
        source = _kustomize_source(tool, words)
        if source is not None and sep == "|":
            piped = _piped_apply(s, start, end, source)
            if piped is not None:
                seg, pos = piped
                out.append(seg)
                continue
        seg = _direct_apply(s, start, end, tool, words)
        if seg is not None:
            out.append(seg)
        pos = max(end, m.end())


def _kustomize_source(tool: str, words: list[str]) -> str | None:
    """The folder `kustomize build` (or `kubectl kustomize`) builds; None for any other command."""
    if tool == "kustomize" and len(words) >= 2 and words[1] == "build":
        return next((w for w in words[2:] if not w.startswith("-")), ".")
    if tool == "kubectl" and _kubectl_verb(words)[0] == "kustomize":
        return next((w for w in _kubectl_verb(words)[1] if not w.startswith("-")), ".")
    return None


def _piped_apply(s: str, start: int, end: int, source: str) -> tuple[Segment, int] | None:
    """`… build DIR | kubectl apply -f -` as one segment targeting DIR, and where it ends; None if not piped to it."""
    m2 = _START.search(s, end + 1)
    if not (m2 and m2.group(1) == "kubectl" and not s[end + 1:m2.start()].strip()):
        return None
    end2, _ = _segment_end(s, m2.end())
    verb, args = _kubectl_verb(_words(s[m2.start():end2]) or [])
    if verb in VERBS and _file_targets(args) in (["-"], []):
        text = s[start:end2].rstrip()
        return Segment(start, start + len(text), verb, [source], text, pipe=True), end2
    return None


def _direct_apply(s: str, start: int, end: int, tool: str, words: list[str]) -> Segment | None:
    """`kubectl apply|create|replace -f/-k TARGET …`; None for other commands and ones without a target."""
    if tool != "kubectl":
        return None
    verb, args = _kubectl_verb(words)
    if verb not in VERBS:
        return None
    targets = _file_targets(args)
    if not targets:
        return None
    text = s[start:end].rstrip()
    return Segment(start, start + len(text), verb, targets, text)


def logical_lines(text: str) -> list[tuple[int, int, str]]:
    """(first line index, last line index, joined text) with backslash continuations joined."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        j, buf = i, lines[i]
        while buf.endswith("\\") and j + 1 < len(lines):
            j += 1
            buf = buf + "\n" + lines[j]
        out.append((i, j, buf))
        i = j + 1
    return out


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")
