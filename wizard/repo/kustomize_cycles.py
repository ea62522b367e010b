"""Kustomizations that list themselves (`resources: [.]`) or each other (a lists ../b, b lists ../a).

kustomize refuses them ("cycle detected"), and since every folder of a cycle is listed by another
kustomization, none of them is a root: without this check their objects would vanish from every Flux path
and from the reference set alike, with nothing said. Each cycle blocks with the file:line of every entry
that closes it, and asks `class.<folder>=exclude` for each folder of it; once all are answered, they are
left out with a line that says so.
"""
from __future__ import annotations

from ..checklist import Question
from .kustomize import Graph
from .layout_model import EXCLUDE


def cycles(graph: Graph) -> list[list[str]]:
    """The folders of each cycle among the kustomizations (a self-listing one is a cycle of one), sorted."""
    edges = {d: [t for t in k.dirs if t in graph.kfiles] for d, k in graph.kfiles.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, 0)]
        while work:  # Tarjan's strongly connected components, without recursion
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            succ = edges[node]
            if i < len(succ):
                work.append((node, i + 1))
                nxt = succ[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in edges[node]:
                    found.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(found)


def report_cycles(graph: Graph, overrides: dict[str, str], msgs: dict) -> None:
    """A block (with a question per folder) for each cycle not yet left out; a left_out line once it is."""
    for comp in cycles(graph):
        members = set(comp)
        entries = [f"{graph.kfiles[d].path}:{graph.kfiles[d].dir_lines.get(t, 1)}"
                   + (" lists its own folder" if t == d else f" lists {t}/")
                   for d in comp for t in graph.kfiles[d].dirs if t in members]
        what = "" if len(comp) == 1 else ": these kustomizations list each other"
        fix = "that entry" if len(comp) == 1 else "one of those entries"
        open_ = [d for d in comp if overrides.get(d) != EXCLUDE]
        if not open_:
            msgs["left_out"].extend(f"{d}/: left out of Flux (its kustomization is in a cycle kustomize refuses: "
                                    f"{'; '.join(entries)}; set by you)" for d in comp)
            continue
        msgs["blocks"].append(
            f"{'; '.join(entries)}{what}, a cycle kustomize refuses ('cycle detected'), so none of it could be "
            f"applied and its objects would be lost: remove {fix} (list the files instead) and run the step again, "
            "or answer "
            + " ".join(f"class.{d}=exclude" for d in open_) + " to leave it out of Flux")
        for d in open_:
            msgs["needs"].append(Question(
                f"class.{d}", f"{graph.kfiles[d].path} is in a kustomization cycle: leave {d}/ out of Flux?",
                [(EXCLUDE, "leave it out (keep applying it by hand)")], default=None,
                where=entries[0].split(" ", 1)[0]))
