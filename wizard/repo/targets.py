"""Where each unit belongs under Option A or Option B, and the folders of the Flux paths.

Option A keeps the folders and adds a Flux layer on top (apps under apps/); Option B restructures
into infrastructure/{sources,base} and apps/base with one overlay per cluster. A unit that cannot
move (a kustomize tree building from folders outside itself, or one the owner's aggregating
kustomization lists) stays where it is; a unit inside a tree that moves whole moves along with it.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from ..paths import under
from .layout_model import APPS, CONFIGS, CONTROLLERS, INFRA, SOURCES, Layout, Unit, slug


class _Places:
    """The target folders handed out so far."""

    def __init__(self, root) -> None:
        self.root = root
        self.taken: dict[str, Unit] = {}

    def free(self, dest: str, u: Unit) -> bool:
        if dest in self.taken and self.taken[dest] is not u:
            return False
        # A folder already in the repo (app sources, compose files) is not a place to move into.
        return self.root is None or under(u.path, dest) or not (self.root / dest).exists()

    def place(self, u: Unit, parent: str) -> str:
        name = u.name
        dest = f"{parent}/{name}"
        if not self.free(dest, u):
            pname = slug(PurePosixPath(u.origin).parent.name or "root")
            dest = f"{parent}/{pname}-{name}"
            n = 2
            while not self.free(dest, u):
                dest, n = f"{parent}/{pname}-{name}-{n}", n + 1
        self.taken[dest] = u
        return dest

    def stay(self, u: Unit) -> None:
        u.target = u.path
        self.taken[u.target] = u


def assign_targets(layout: Layout) -> None:
    places = _Places(layout.root)
    for u in layout.units:
        if u.tree and (u.pinned or not _movable(u)):
            places.stay(u)  # it builds from folders outside itself: moving it would break their paths
        elif layout.option == "a":
            _target_option_a(u, places)
        else:
            _target_option_b(u, layout, places)
    _carry_along(layout)
    _set_aggregators(layout)
    _point_direct(layout)


def _target_option_a(u: Unit, places: _Places) -> None:
    u.target = places.place(u, "apps") if u.role == APPS and u.path != "apps" else u.path
    if u.path in (".", ""):  # files at the repo root get a folder (a Flux path over . is everything)
        u.target = places.place(u, "apps" if u.role == APPS else "infrastructure")
    if u.role == APPS and PurePosixPath(u.path).parts[:1] == ("apps",) and u.path.count("/") == 1:
        u.target = u.path  # already in place


def _target_option_b(u: Unit, layout: Layout, places: _Places) -> None:
    if u.role == APPS:
        parent = "apps/base"
    elif u.tier == SOURCES:
        parent = "infrastructure/sources"
        if len(layout.by_tier(SOURCES)) == 1:
            u.target = parent  # one folder of sources: it becomes infrastructure/sources itself
            places.taken[parent] = u
            return
    else:
        parent = "infrastructure/base"
    if u.path.startswith(parent + "/") and u.path.count("/") == parent.count("/") + 1:
        places.stay(u)
    else:
        u.target = places.place(u, parent)
    if u.tree and under(u.target, u.path):
        places.stay(u)  # a folder cannot move into itself (an apps/ tree under Option B)


def _carry_along(layout: Layout) -> None:
    for u in layout.units:  # a unit inside a tree that moves whole moves along with it
        host = next((t for t in layout.units if t is not u and t.tree and t.target != t.path
                     and t.path not in (".", "") and under(u.path, t.path)), None)
        if host is not None:
            u.target = host.target + u.path[len(host.path):]
            u.carried = True


def _set_aggregators(layout: Layout) -> None:
    c = layout.cluster
    if layout.option == "a":
        infra = [u.target for u in layout.units if u.role == INFRA and u.tier in (CONTROLLERS, SOURCES)]
        common = _common_dir(infra)
        unit_dirs = {u.target for u in layout.units}
        if common in (None, ".", "") or common in unit_dirs:
            common = "infrastructure/controllers"
        layout.aggregators = {CONTROLLERS: common, CONFIGS: "infrastructure/configs", APPS: "apps"}
    else:
        layout.aggregators = {CONTROLLERS: f"infrastructure/overlays/{c}/controllers",
                              CONFIGS: f"infrastructure/overlays/{c}/configs", APPS: f"apps/overlays/{c}"}


def _point_direct(layout: Layout) -> None:
    """The owner's own kustomization sits where an aggregator would go (an apps/ tree): when it is the
    tier's only unit Flux points at it directly; otherwise the aggregator goes one level down."""
    c = layout.cluster
    for tier, folder in list(layout.aggregators.items()):
        units = layout.tier_units(tier)
        at = [u for u in units if u.target == folder or u.target_entry == folder or under(folder, u.target)]
        if not at:
            if folder in layout.owner_kdirs:  # the owner's own kustomization is there (apps/ listing apps/*)
                layout.aggregators[tier] = f"{folder}/overlays/{c}" if layout.option == "a" else f"{folder}-flux"
            continue
        if len(units) == 1:
            layout.direct[tier] = units[0].target_entry
        else:
            layout.aggregators[tier] = f"{folder}-{c}"  # beside it: a kustomization inside the tree it lists would be an ancestor reference


def _movable(u: Unit) -> bool:
    return all(under(d, u.path) for d in u.closure)


def _common_dir(paths: list[str]) -> str | None:
    if not paths:
        return None
    parts = [PurePosixPath(p).parts for p in paths]
    common = []
    for group in zip(*parts):
        if len(set(group)) != 1:
            break
        common.append(group[0])
    if len(paths) == 1:
        common = list(parts[0][:-1])
    return "/".join(common) if common else "."
