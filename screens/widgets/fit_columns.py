"""Table columns that fit the table's width, and cell text shortened to fit them.

A DataTable sizes its columns to their content and scrolls sideways: at 120x40 the Phase 2 plan's class
showed as 'infrastruct' and its target was off screen, the Secrets screen's object and rule likewise (issue
24, point 8). These give each column its share of the width, the fixed ones whole.
"""
from __future__ import annotations

from textual.widgets import DataTable


def elide_left(text: str, width: int) -> str:
    """`text` in `width` cells, shortened from the left ('…kubernetes/certificates'): a path's end names it."""
    return text if len(text) <= width else "…" + text[-(width - 1):]


def elide_right(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def fit_columns(table: DataTable, columns: list[tuple[str, int | None, int]], least: int = 6) -> list[int]:
    """Empty `table` and give it `columns` (label, fixed width or None, share of what is left), fitted to its
    width inside the border (a cell pads one cell each side). Returns each column's width."""
    table.clear(columns=True)
    # `size` is inside the border and the scrollbar's gutter (kept, see the screens' CSS); a cell pads 1 each side
    room = table.size.width - 2 * len(columns)
    fixed = sum(w for _, w, _ in columns if w)
    flexible = [i for i, (_, w, _) in enumerate(columns) if not w]
    shares = sum(columns[i][2] for i in flexible) or 1
    widths = [w or max(least, (room - fixed) * s // shares) for _, w, s in columns]
    # what rounding left over goes to the first flexible column; an overflow (a narrow table) comes off the widest
    if flexible and sum(widths) < room:
        widths[flexible[0]] += room - sum(widths)
    while flexible and sum(widths) > room and max(widths[i] for i in flexible) > 3:
        widest = max(flexible, key=lambda i: widths[i])
        widths[widest] -= 1
    for (label, _, _), w in zip(columns, widths):
        table.add_column(label, width=w)
    return widths
