"""Objects the units define more than once, which copy is kept, and what happens to the others.

The user chooses with `duplicate.<Kind>/<namespace>/<name>=<file:line>`; the wizard settles two
cases itself: identical copies (applying both was one object) and copies in one folder of plain
manifests (`kubectl apply -f` applied the last one). The other copies' documents are dropped, or
their whole file when nothing else is in it. A kustomize tree of the owner is never edited.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from ..checklist import Question
from .layout_model import Duplicate, Unit, original_file, original_folder
from .scan import Manifest, ObjectKey


def parse_duplicate_choices(answers: dict) -> dict[str, str]:
    return {k[len("duplicate."):]: v for k, v in answers.items() if k.startswith("duplicate.")}


def _place_matches(m: Manifest, chosen: str, moves: dict[str, str]) -> bool:
    origin = original_file(m.path, moves)
    return chosen in (m.where, m.path, f"{origin}:{m.line}", origin)


def resolve_duplicates(units: list[Unit], choices: dict[str, str], moves: dict[str, str],
                       excluded: set[str], dropped: dict[str, list[int]], blocks: list[str],
                       needs: list | None = None) -> list[Duplicate]:
    """Objects the units define more than once (after kustomize's transforms), and the user's choice for each."""
    dups = []
    for key, places in _places_by_key(units).items():
        if len(places) < 2:
            continue
        ms = [m for _, m in places]
        chosen, auto = _settled(key, places, choices, moves)
        keep = _kept_index(key, ms, chosen, moves, blocks)
        dups.append(Duplicate(key, ms, ms[keep].where if keep is not None else None, auto))
        if keep is not None:
            _drop_others(key, places, keep, dropped, blocks, needs if needs is not None else [])
    _exclude_emptied_files(units, dropped, excluded)
    return dups


def _places_by_key(units: list[Unit]) -> dict[ObjectKey, list[tuple[Unit, Manifest]]]:
    seen: dict[ObjectKey, list[tuple[Unit, Manifest]]] = {}
    for u in units:
        for m in (u.rendered or []) if u.tree else u.manifests:
            seen.setdefault(m.key, []).append((u, m))
    return seen


def _settled(key: ObjectKey, places: list[tuple[Unit, Manifest]], choices: dict[str, str],
             moves: dict[str, str]) -> tuple[str | None, str]:
    """(chosen place, why the wizard chose it itself): the user's answer, else what applying the
    plain folders as the owner did already settled, else (None, '') to ask."""
    chosen = choices.get(key.ref)
    if chosen is not None or any(u.tree for u, _ in places):
        return chosen, ""
    ms = [m for _, m in places]
    folders = {original_folder(str(PurePosixPath(m.path).parent), moves) for m in ms}  # where the owner had them
    if all(m.doc == ms[0].doc for m in ms):
        # The same object, identical, in two files: applying both was one object; keep the first.
        return ms[0].where, "defined identically"
    if len(folders) == 1:
        # One folder, applied with `kubectl apply -f <folder>`: its files go in name order and the
        # last copy is what the cluster got. That is the reference; no question to ask.
        last = max(ms, key=lambda m: (PurePosixPath(m.path).name, m.index))
        return last.where, f"applied last by 'kubectl apply -f {folders.pop()}/' (files in name order)"
    return None, ""


def _kept_index(key: ObjectKey, ms: list[Manifest], chosen: str | None, moves: dict[str, str],
                blocks: list[str]) -> int | None:
    if chosen is None:
        return None
    keep = next((i for i, m in enumerate(ms) if _place_matches(m, chosen, moves)), None)
    if keep is None:
        blocks.append(f"duplicate.{key.ref}={chosen!r} is none of the places {key} is defined in "
                      f"({', '.join(m.where for m in ms)})")
    return keep


def _drop_others(key: ObjectKey, places: list[tuple[Unit, Manifest]], keep: int, dropped: dict[str, list[int]],
                 blocks: list[str], needs: list) -> None:
    for i, (u, m) in enumerate(places):
        if i == keep:
            continue
        if u.tree:
            what = (f"{key} is also rendered by the kustomize tree {u.path}/ ({m.path}), and the wizard does not "
                    f"edit your kustomize trees")
            blocks.append(f"{what}: keep that copy (duplicate.{key.ref}={m.where}) or leave the tree out with "
                          f"class.{u.path}=exclude")
            if f"class.{u.path}" not in {q.key for q in needs}:
                needs.append(Question(
                    f"class.{u.path}", f"{what}: leave the tree {u.path}/ out of Flux (it stays applied by hand)?",
                    [("exclude", f"leave {u.path}/ out of Flux")], default=None, where=m.where,
                    help=f"Or keep the tree's copy instead: answer duplicate.{key.ref}={m.where}."))
            continue
        dropped.setdefault(m.path, []).append(m.index)


def _exclude_emptied_files(units: list[Unit], dropped: dict[str, list[int]], excluded: set[str]) -> None:
    """A file all of whose documents are dropped is left out; otherwise those documents are removed (2.2)."""
    for path, idx in list(dropped.items()):
        owner = next((u for u in units if path in u.files), None)
        if owner is None:
            continue
        in_file = {m.index for m in owner.manifests if m.path == path}
        if in_file <= set(idx):
            excluded.add(path)
            del dropped[path]
