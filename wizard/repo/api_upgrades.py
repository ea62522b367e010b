"""What Phase 2 asks about objects in removed API versions, and what each answer leads to.

Each such object is a question, `api-upgrade.<Kind>/<namespace>/<name>=rewrite|exclude` (the
`duplicate.` key shape), asked before anything changes, from 1.1's preview on:

- rewrite: 2.2 rewrites the document to its successor (wizard.repo.api_rewrite), shown as a diff;
- exclude: the object is left out of Flux, with the reason (2.2 removes just that document, or
  leaves the file out when it holds nothing else), as for the other copy of a duplicate.

The first choice leads on: the rewrite where one is mechanical, else leaving it out.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..checklist import Question
from .api_rewrite import rewrite_problem
from .layout_model import EXCLUDE, Unit
from .removed_apis import Removal, Served, removal_for
from .scan import Manifest

KEY = "api-upgrade."
REWRITE = "rewrite"


@dataclass
class Upgrade:
    """An object 2.2 rewrites to its removed version's successor."""

    manifest: Manifest
    removal: Removal


@dataclass
class _Found:
    unit: Unit
    manifest: Manifest
    removal: Removal
    problem: str | None  # why there is no mechanical rewrite (None: there is one)

    @property
    def key(self) -> str:
        return KEY + self.manifest.key.ref

    @property
    def what(self) -> str:
        m = self.manifest
        return f"{m.where}: {m.kind} {m.namespace + '/' if m.namespace else ''}{m.name}"

    def choices(self) -> list[tuple[str, str]]:
        out = []
        if self.problem is None:
            out.append((REWRITE, f"rewrite it as {self.removal.successor} (the diff is shown before anything is written)"))
        if self.uncuttable is None:
            out.append((EXCLUDE, "leave it out of Flux: 2.2 removes that document (git history keeps it)"))
        return out

    @property
    def uncuttable(self) -> str | None:
        """Why 2.2 cannot cut just this object out (None: it can remove its document)."""
        if self.unit.tree:
            return f"it sits in your kustomize tree {self.unit.path}/, whose lists the wizard does not edit"
        m = self.manifest
        if sum(1 for x in self.unit.manifests if x.path == m.path and x.index == m.index) > 1:
            return f"it is one item of a List in {m.path}, whose other items would go with it"
        return None

    def why_no_rewrite(self) -> str:
        r = self.removal
        if r.successor is None or r.rewrite is None:
            return r.hint or "there is no mechanical rewrite"
        return self.problem or ""


def review(units: list[Unit], answers: dict, served: Served | None, dropped: dict[str, list[int]],
           msgs: dict) -> list[Upgrade]:
    """The objects of `units` in removed API versions: questions for the unanswered ones (in msgs),
    the documents to leave out (in `dropped`, by file) and the rewrites to make (returned)."""
    upgrades: list[Upgrade] = []
    asked: set[str] = set()
    for f in _found(units, served):
        answer = answers.get(f.key)
        allowed = [c for c, _ in f.choices()]
        if not allowed:
            msgs["blocks"].append(_tree_block(f))
            _ask(msgs, asked, _tree_question(f))
        elif answer is None or answer not in allowed:
            msgs["blocks"].append(_block(f, answer, allowed))
            _ask(msgs, asked, _question(f))
        elif answer == REWRITE:
            upgrades.append(Upgrade(f.manifest, f.removal))
        else:
            dropped.setdefault(f.manifest.path, []).append(f.manifest.index)
            msgs["left_out"].append(f"{f.what}: left out of Flux ({KEY}{f.manifest.key.ref}={EXCLUDE}): "
                                    f"{f.removal.said}; {f.why_no_rewrite() or 'you chose to leave it out'}")
    return upgrades


def _found(units: list[Unit], served: Served | None) -> list[_Found]:
    out = []
    for u in units:
        for m in u.manifests:
            r = removal_for(m.api_version, m.kind, served)
            if r is not None and not m.sops_encrypted:
                problem = rewrite_problem(m.doc) if r.rewrite and r.successor else "no mechanical rewrite"
                out.append(_Found(u, m, r, problem))
    return out


def _ask(msgs: dict, asked: set[str], q: Question) -> None:
    if q.key not in asked:  # the same object in two files (a duplicate) is one question
        asked.add(q.key)
        msgs["needs"].append(q)


def _question(f: _Found) -> Question:
    choices = f.choices()
    why = f.why_no_rewrite()
    return Question(f.key, f"{f.what} is {f.removal.said}: "
                    + (f"rewrite it as {f.removal.successor}?" if choices[0][0] == REWRITE
                       else f"leave it out of Flux? ({why})"),
                    choices, default=choices[0][0],
                    help="No CRD can bring a removed version back: Flux would fail the Kustomization that holds it"
                         + (f". {why[0].upper() + why[1:]}." if why and choices[0][0] != REWRITE else "."))


def _block(f: _Found, answer: str | None, allowed: list[str]) -> str:
    head = f"{KEY}{f.manifest.key.ref}={answer!r} is not one of: {', '.join(allowed)}; " if answer is not None else ""
    if allowed[0] == REWRITE:
        todo = (f"answer {KEY}{f.manifest.key.ref}=rewrite to rewrite it as {f.removal.successor} (shown as a diff "
                "first)" + (", or =exclude to leave it out of Flux" if EXCLUDE in allowed else ""))
    else:
        todo = (f"{f.why_no_rewrite()}; answer {KEY}{f.manifest.key.ref}=exclude to leave it out of Flux, or fix it by "
                "hand and run the step again")
    return f"{head}{f.what} is {f.removal.said}, so no CRD can provide it and Flux would fail its path: {todo}"


def _tree_block(f: _Found) -> str:
    return (f"{f.what} is {f.removal.said}; {f.why_no_rewrite()}, and the wizard cannot leave just this object out "
            f"({f.uncuttable}): fix it by hand and run the step again, or answer class.{f.unit.path}=exclude to leave "
            f"{f.unit.path}/ out of Flux")


def _tree_question(f: _Found) -> Question:
    return Question(f"class.{f.unit.path}", f"{f.what} is {f.removal.said} ({f.uncuttable}): leave {f.unit.path}/ "
                    "out of Flux?", [(EXCLUDE, "leave it out (fix it by hand, then set its class)")],
                    default=None, help=f.why_no_rewrite())
