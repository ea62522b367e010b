"""Find `kubectl apply|create|replace` and `kustomize build | kubectl apply` in scripts, Makefiles,
Taskfiles, justfiles and CI workflows, decide which of them target paths Flux now owns, and
rewrite them: remove the command, or replace it with `flux reconcile kustomization NAME
--with-source` for the Kustomizations that own the paths.

A *finding* is one command at `file:line` (the first line of a logical line, after joining
backslash continuations). Its targets (`-f`/`-k`/`--filename`/`--kustomize`, or the folder
before `| kubectl apply -f -`) are resolved against the repository: variables defined in the same
file are expanded (shell, make, just, GitHub/GitLab/Task `env`/`variables`/`vars`), paths are
tried from the repo root and from the file's folder, and folders the wizard moved in Phase 2
are followed to their new place. Status:

- `owned`: some target is built by a Flux Kustomization: it must go (or be kept on purpose);
- `unknown`: a target could not be resolved (a variable from elsewhere, stdin): decide by hand;
- `external`: URLs, and paths no Flux Kustomization builds: left alone.

YAML files (workflows, GitLab CI, Taskfiles) are edited with ruamel round-trip, so comments,
quotes and order survive; a step whose `run` is left empty is removed, as is an emptied list item.
"""
from __future__ import annotations

import glob
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .common import Ownership, norm
# The command scanner lives in shell_segments; its names stay importable from here.
from .shell_segments import VALUE_FLAGS, VERBS, Segment, _is_comment, logical_lines, segments

__all__ = ["Finding", "JUSTFILES", "MAKEFILES", "MAX_BYTES", "SHELL_SUFFIXES", "SKIP_DIRS", "Segment", "TASKFILES",
           "VALUE_FLAGS", "VERBS", "candidate_files", "decider", "expand", "file_kind", "find", "logical_lines",
           "reconcile_command", "resolve", "rewrite_file", "rewrite_text", "segments", "variables"]

SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".terraform", "vendor"}
SHELL_SUFFIXES = {".sh", ".bash", ".zsh", ".ksh"}
MAKEFILES = {"makefile", "gnumakefile"}
JUSTFILES = {"justfile", ".justfile"}
TASKFILES = {"taskfile.yml", "taskfile.yaml", "taskfile.dist.yml", "taskfile.dist.yaml"}
MAX_BYTES = 1024 * 1024


@dataclass
class Finding:
    file: str
    line: int
    kind: str  # shell | make | just | taskfile | github | gitlab
    command: str
    verb: str
    targets: list[str]
    status: str = "external"  # owned | unknown | external
    owners: list[str] = field(default_factory=list)  # "namespace/name" of Flux Kustomizations
    resolved: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def ref(self) -> str:
        return f"{self.file}:{self.line}"

    def evidence(self) -> dict:
        out = {"where": self.ref, "command": self.command, "status": self.status}
        if self.owners:
            out["flux_kustomizations"] = self.owners
        if self.note:
            out["note"] = self.note
        return out


# -- which files ---------------------------------------------------------------------------------
def file_kind(rel: str, head: str = "") -> str | None:
    p = PurePosixPath(rel)
    name = p.name.lower()
    parts = [x.lower() for x in p.parts]
    if len(parts) >= 3 and parts[0] in (".github", ".gitea", ".forgejo") and parts[1] == "workflows" and p.suffix in (
            ".yml", ".yaml"):
        return "github"  # Gitea and Forgejo Actions read GitHub's workflow format
    if name == ".gitlab-ci.yml" or name.endswith(".gitlab-ci.yml") or (
            parts[0] == ".gitlab" and p.suffix in (".yml", ".yaml") and "ci" in parts):
        return "gitlab"
    if name in TASKFILES:
        return "taskfile"
    if name in MAKEFILES or p.suffix == ".mk":
        return "make"
    if name in JUSTFILES or p.suffix == ".just":
        return "just"
    if p.suffix in SHELL_SUFFIXES:
        return "shell"
    if not p.suffix and head.startswith("#!") and re.search(r"\b(ba|z|k|da)?sh\b", head.splitlines()[0]):
        return "shell"
    return None


def candidate_files(repo: Path) -> list[tuple[str, str]]:
    out = []
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for fn in sorted(filenames):
            f = Path(dirpath) / fn
            rel = f.relative_to(repo).as_posix()
            head = ""
            if not PurePosixPath(fn).suffix:
                try:
                    with open(f, "rb") as fh:
                        head = fh.read(200).decode(errors="replace")
                except OSError:
                    continue
            kind = file_kind(rel, head)
            if kind and f.is_file() and not f.is_symlink() and f.stat().st_size <= MAX_BYTES:
                out.append((rel, kind))
    return out


# -- variables -----------------------------------------------------------------------------------
_SHELL_VAR = re.compile(r"^\s*(?:export\s+|readonly\s+|local\s+|declare\s+(?:-\w+\s+)?)?([A-Za-z_]\w*)=(\S.*)?$")
_MAKE_VAR = re.compile(r"^\s*(?:export\s+|override\s+)?([A-Za-z_][\w.-]*)\s*(?::::=|::=|:=|\?=|\+=|=)\s*(.*?)\s*$")
_JUST_VAR = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][\w-]*)\s*:=\s*(.*?)\s*$")


def _unquote(v: str) -> str:
    v = v.strip()
    try:
        parts = shlex.split(v, comments=True)
    except ValueError:
        return v.strip("\"'")
    return parts[0] if len(parts) == 1 else v.strip("\"'")


def variables(text: str, kind: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if kind in ("github", "gitlab", "taskfile"):
        import yaml

        def walk(node):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k in ("env", "variables", "vars") and isinstance(v, dict):
                        for vk, vv in v.items():
                            if isinstance(vv, (str, int, float)) and not isinstance(vv, bool):
                                out.setdefault(str(vk), str(vv))
                    else:
                        walk(v)
            elif isinstance(node, list):
                for x in node:
                    walk(x)
        try:
            for d in yaml.safe_load_all(text):
                walk(d)
        except yaml.YAMLError:
            pass
        return out
    rx = {"shell": _SHELL_VAR, "make": _MAKE_VAR, "just": _JUST_VAR}[kind]
    for line in text.splitlines():
        if kind == "make" and line.startswith("\t"):
            continue
        m = rx.match(line)
        if m and m.group(2) is not None and not m.group(2).startswith("$("):
            out.setdefault(m.group(1), _unquote(m.group(2)))
    return out


def expand(s: str, env: dict[str, str]) -> str:
    def sub(m):
        name = next(g for g in m.groups() if g is not None)
        default = None
        if ":-" in name:
            name, default = name.split(":-", 1)
        return env.get(name, default if default is not None else m.group(0))

    rx = re.compile(r"\$\{\{\s*env\.(\w+)\s*\}\}|\{\{\s*\.?(\w+)\s*\}\}|\$\(([A-Za-z_][\w.-]*)\)|\$\{([A-Za-z_]\w*(?::-[^}]*)?)\}"
                    r"|\$([A-Za-z_]\w*)")
    for _ in range(5):
        new = rx.sub(sub, s)
        if new == s:
            break
        s = new
    return s


# -- resolving targets -----------------------------------------------------------------------------
def resolve(repo: Path, rel: str, target: str, env: dict[str, str], own: Ownership) -> tuple[str, list[str], list[str], str]:
    """(status, owners, resolved paths, note) for one target."""
    if target == "-":
        return "unknown", [], [], "reads manifests from stdin"
    t = expand(target, env)
    if "://" in t:
        return "external", [], [], f"{t} is a URL"
    if "$" in t or "{{" in t:
        return "unknown", [], [], f"{target}: a variable defined elsewhere"
    cands = _candidates(repo, rel, t)
    if cands is None:
        return "external", [], [], f"{t} is outside the repository"
    for c in cands:
        paths = _existing_paths(repo, c, own)
        if paths:
            return _ownership(paths, own)
    return "external", [], [], f"{t} does not exist in the repository"


def _candidates(repo: Path, rel: str, t: str) -> list[str] | None:
    """Repo-relative spellings of `t` to try (scripts are run from the root or their own folder); None: outside."""
    base = PurePosixPath(rel).parent.as_posix()
    cands = [norm(t)] if t.startswith("/") is False else []
    if base not in ("", ".") and norm(f"{base}/{t}") not in cands:
        cands.append(norm(f"{base}/{t}"))
    if t.startswith("/"):
        try:
            cands = [norm(str(Path(t).resolve().relative_to(repo.resolve())))]
        except ValueError:
            return None
    return cands


def _existing_paths(repo: Path, c: str, own: Ownership) -> list[str]:
    """The paths `c` names now: glob matches, the path itself, or where Phase 2 moved it."""
    paths = [norm(str(Path(p).relative_to(repo))) for p in glob.glob(str(repo / c))] if any(
        ch in c for ch in "*?[") else ([c] if (repo / c).exists() else [])
    if not paths:
        moved = own.moved(c)
        if moved and (repo / moved).exists():
            paths = [moved]
    return paths


def _ownership(paths: list[str], own: Ownership) -> tuple[str, list[str], list[str], str]:
    owners = []
    for p in paths:
        for k in own.owners(p):
            ref = f"{k.namespace}/{k.name}"
            if ref not in owners:
                owners.append(ref)
    if owners:
        return "owned", owners, paths, ""
    return "external", [], paths, f"no Flux Kustomization builds {', '.join(paths)}"


def _classify(repo: Path, rel: str, seg: Segment, env: dict[str, str], own: Ownership) -> tuple[str, list[str], list[str], str]:
    statuses, owners, resolved, notes = [], [], [], []
    for t in seg.targets:
        st, ow, rs, note = resolve(repo, rel, t, env, own)
        statuses.append(st)
        owners += [o for o in ow if o not in owners]
        resolved += rs
        if note:
            notes.append(note)
    status = "owned" if "owned" in statuses else ("unknown" if "unknown" in statuses else "external")
    order = [f"{k.namespace}/{k.name}" for k in own.kustomizations]
    owners.sort(key=lambda o: order.index(o) if o in order else len(order))
    return status, owners, resolved, "; ".join(notes)


def find(repo: Path, own: Ownership) -> list[Finding]:
    out: list[Finding] = []
    for rel, kind in candidate_files(repo):
        try:
            text = (repo / rel).read_text()
        except (OSError, UnicodeDecodeError):
            continue
        if "kubectl" not in text and "kustomize" not in text:
            continue
        env = variables(text, kind)
        for first, _, line in logical_lines(text):
            if _is_comment(line):
                continue
            for seg in segments(line):
                status, owners, resolved, note = _classify(repo, rel, seg, env, own)
                out.append(Finding(rel, first + 1, kind, " ".join(seg.text.split()), seg.verb, seg.targets, status,
                                   owners, resolved, note))
    return out


# -- rewriting -----------------------------------------------------------------------------------
def reconcile_command(owners: list[str]) -> str:
    cmds = []
    for o in owners:
        ns, name = o.split("/", 1)
        cmds.append(f"flux reconcile kustomization {name}" + ("" if ns == "flux-system" else f" -n {ns}") + " --with-source")
    return " && ".join(cmds)


_RECIPE_HEADER = re.compile(r"^[A-Za-z0-9_.%/@-][^=\s#]*(\s+[^=\s#]+)*\s*:(?!=)")
_PREFIX = re.compile(r"^(\s*[@+-]*\s*)")


def rewrite_text(s: str, decide) -> str:
    """Apply decide(segment) -> None (leave) | ("reconcile", cmd) | ("remove", cmd) to every command.

    Lines that end up identical to the previous rewritten line are dropped (several applies owned
    by one Kustomization become one reconcile).
    """
    out_lines: list[str] = []
    written: set[str] = set()
    for first, last, line in logical_lines(s):
        if _RECIPE_HEADER.match(line):
            written = set()  # a new make/just target: its recipe needs its own reconcile
        if _is_comment(line):
            out_lines.append(line)
            continue
        segs = segments(line)
        actions = [(seg, decide(seg)) for seg in segs]
        if not any(a for _, a in actions):
            out_lines.append(line)
            continue
        prefix = _PREFIX.match(line).group(1)
        whole = len(segs) == 1 and line[len(prefix):].strip() == segs[0].text.strip()
        if whole and actions[0][1][0] == "remove":
            continue  # the line goes
        new = line
        for seg, act in reversed(actions):
            if act:
                new = new[:seg.start] + act[1] + new[seg.end:]
        if "\n" in new and whole:
            new = prefix + new[len(prefix):].replace("\\\n", " ").replace("\n", " ")
            new = prefix + " ".join(new[len(prefix):].split())
        key = new.strip().lstrip("@+-").strip()
        if key in written:
            continue
        out_lines.append(new)
        written.add(key)
    return "\n".join(out_lines)


def decider(mode: str, kept_commands: set[str], findings_by_command: dict[str, Finding]):
    def decide(seg: Segment):
        cmd = " ".join(seg.text.split())
        f = findings_by_command.get(cmd)
        if f is None or f.status != "owned" or cmd in kept_commands:
            return None
        rc = reconcile_command(f.owners)
        return ("remove", rc) if mode == "remove" else ("reconcile", rc)
    return decide


def rewrite_file(text: str, kind: str, decide, rel: str) -> str:
    if kind in ("shell", "make", "just"):
        return rewrite_text(text, decide)
    return _rewrite_yaml(text, decide, rel)


def _rewrite_yaml(text: str, decide, rel: str) -> str:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    from ..repo.yamledit import round_trip

    def new_value(v: str) -> str:
        out = rewrite_text(v, decide)
        if v.endswith("\n") and out and not out.endswith("\n"):
            out += "\n"
        if isinstance(v, LiteralScalarString):
            return LiteralScalarString(out)
        if isinstance(v, FoldedScalarString):
            return FoldedScalarString(out)
        return type(v)(out) if type(v) is not str and isinstance(v, str) else out

    def empty(v) -> bool:
        return isinstance(v, str) and not v.strip()

    def walk(node):
        if isinstance(node, CommentedMap):
            for k in list(node.keys()):
                v = node[k]
                if isinstance(v, str):
                    nv = new_value(v)
                    if nv != v:
                        node[k] = nv
                else:
                    walk(v)
        elif isinstance(node, CommentedSeq):
            for i in reversed(range(len(node))):
                v = node[i]
                if isinstance(v, str):
                    nv = new_value(v)
                    if empty(nv) and not empty(v):
                        del node[i]
                    elif nv != v:
                        node[i] = nv
                elif isinstance(v, CommentedMap):
                    before = v.get("run") if isinstance(v.get("run"), str) else None
                    walk(v)
                    if before is not None and not empty(before) and empty(v.get("run")):
                        del node[i]  # a GitHub Actions step with nothing left to run
                else:
                    walk(v)

    def mutate(docs):
        for d in docs:
            walk(d)

    return round_trip(text, mutate)
