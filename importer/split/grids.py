"""Regular grids and ruled tables: a cell holds one item."""
from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from importer.split.geometry import box_gaps, consecutive, group_items, interval_runs
from importer.split.options import SplitOptions
from importer.split.pixels import crossings
from importer.split.text import wordlike


def join_cells(items: np.ndarray, options: SplitOptions) -> np.ndarray:
    """On a regular grid (rows and columns of items at a steady pitch), unite the items
    that lie within one cell: the parts of one item whose inner gaps outgrew the merge gap
    (see ``_parts_in_cells``). Leftover text (caption pieces) may break the grid's pitch, so
    the grid is looked for among all items, then among the items that are not word-like."""
    for on_grid in (np.ones(len(items), bool), ~wordlike(items)):
        if on_grid.sum() < 4:
            continue
        cols = pitch_bands(items[on_grid, 0], items[on_grid, 2], options.pitch_tolerance)
        rows = pitch_bands(items[on_grid, 1], items[on_grid, 3], options.pitch_tolerance)
        if cols is None or rows is None:
            continue
        col, row = _band_of(items[:, 0], items[:, 2], *cols[:2]), _band_of(items[:, 1], items[:, 3], *rows[:2])
        n_cols, n_cells = len(cols[0]), len(cols[0]) * len(rows[0])
        cell = np.where((col >= 0) & (row >= 0), row * n_cols + col, n_cells + np.arange(len(items)))
        return group_items(items[:, :4], items[:, 4], items[:, 5], _parts_in_cells(items, cell))
    return items


def _parts_in_cells(items: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Group label per item: items of one cell unite when, chained, each step is shorter than
    either item's gap to the nearest item of another cell (parts of an item lie nearer each
    other than neighbouring items; two items stacked in a cell, as far apart as from their
    neighbours, stay two)."""
    gaps = box_gaps(items[:, :4], items[:, :4])
    same = cell[:, None] == cell[None, :]
    outside = np.where(same, np.inf, gaps).min(axis=1)
    near = same & (gaps < np.minimum(outside[:, None], outside[None, :]))
    return connected_components(csr_matrix(near), directed=False)[1]


def pitch_bands(lo: np.ndarray, hi: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray, float, int] | None:
    """Starts and ends of the bands the intervals ``[lo, hi)`` form (overlapping intervals
    share a band, and so do neighbouring bands that fit in one pitch, see ``_within_pitch``),
    that pitch, and which of the bands' edges keep it best: 0 their starts, 1 their centres,
    2 their ends (items hung from their cells' ceiling, centred, or set on their floor;
    centres when the bands are alike in width, which shows no alignment). None unless there
    are at least three bands, each narrower than the pitch that their starts, centres or
    ends keep (within ``tolerance`` × the pitch)."""
    _, starts, ends = interval_runs(lo, hi)
    if len(starts) < 3:
        return None
    starts, ends = _within_pitch(starts, ends)
    if len(starts) < 3:
        return None
    steps, spread = np.array([_pitch(edge) for edge in (starts, (starts + ends) / 2, ends)]).T
    spread[(ends - starts).max() >= steps] = np.inf  # a band as wide as the pitch: no grid's
    kept = int(np.argmin(spread))
    if np.ptp(ends - starts) <= tolerance * steps[kept] and spread[1] <= tolerance:
        kept = 1  # bands alike in width keep the pitch alike at either edge: no alignment shows
    if spread[kept] <= tolerance:
        return starts, ends, steps[kept], kept
    return None


def _within_pitch(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unite consecutive bands that together fit within one pitch (the median step between
    band starts) and are no wider than the widest band: the parts of one item stacked along
    the band's axis, as in a row that holds only the dots of dominoes, form bands of their
    own that would break the grid. (An item and its caption below are wider together than
    a row of items alone, so they stay apart.)"""
    step, widest = np.median(np.diff(starts)), (ends - starts).max()
    keep_s, keep_e = [starts[0]], [ends[0]]
    for s, e in zip(starts[1:], ends[1:]):
        if e - keep_s[-1] < step and e - keep_s[-1] <= widest:
            keep_e[-1] = max(keep_e[-1], e)
        else:
            keep_s.append(s)
            keep_e.append(e)
    return np.array(keep_s), np.array(keep_e)


def join_ruled_cells(items: np.ndarray, rule_rows: np.ndarray, rule_cols: np.ndarray) -> np.ndarray:
    """On a ruled table (at least three erased lines each way, see ``remove_rules``), unite
    the items whose centres lie in one cell: a table holds one item a cell, however far
    apart its pieces lie (a domino's pips, a paragraph's words)."""
    rows, cols = _rule_centres(rule_rows), _rule_centres(rule_cols)
    if len(rows) < 3 or len(cols) < 3 or len(items) < 2:
        return items
    r = np.searchsorted(rows, (items[:, 1] + items[:, 3]) / 2)
    c = np.searchsorted(cols, (items[:, 0] + items[:, 2]) / 2)
    inside = (r > 0) & (r < len(rows)) & (c > 0) & (c < len(cols))
    cell = np.where(inside, r * (len(cols) + 1) + c, -1 - np.arange(len(items)))
    return group_items(items[:, :4], items[:, 4], items[:, 5], np.unique(cell, return_inverse=True)[1])


def _rule_centres(near: np.ndarray) -> np.ndarray:
    """The middle of each run of flagged rows (or columns): where the erased lines lay."""
    return np.array([(run[0] + run[-1]) / 2 for run in consecutive(np.flatnonzero(near))])


def _band_of(lo: np.ndarray, hi: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Index of the band holding each interval ``[lo, hi)`` whole, or -1."""
    inside = (starts[None, :] <= lo[:, None]) & (hi[:, None] <= ends[None, :])
    return np.where(inside.any(axis=1), inside.argmax(axis=1), -1)


def cut_cells(items: np.ndarray, mask: np.ndarray, options: SplitOptions) -> np.ndarray:
    """On a regular grid, cut the items that span a cell's edge at that edge: a cell holds
    one item, so an item wider (or taller) than the grid's pitch is sprites packed edge to
    edge (their ink touching, one piece), as many as the cells it fills, and a group across
    an edge holds the items of two cells. The grid is read off the items of ordinary size
    (at most 1.5× the median width and height; a run of touching items is wider or taller),
    lying in two rows or more (and two columns or more: in one row they are a row, no grid):
    its pitch, and the gutter its items leave free; where they keep no pitch (a row of large
    items only), off the floors most items stand on (``_aligned``). When some item is wider
    than the pitch, the cells' edges are placed in that gutter, one pitch apart over the
    whole sheet, where the fewest ink pixels cross them (sprites only touch across an edge;
    a line through a sprite crosses its body), or along the items' floor (ceiling) where
    they stand on (hang from) it: a tall sprite touching the one above crosses its cell's
    floor there."""
    w, h = items[:, 2] - items[:, 0], items[:, 3] - items[:, 1]
    ordinary = (w <= 1.5 * np.median(w)) & (h <= 1.5 * np.median(h))
    if ordinary.sum() < 4 or ordinary.all():
        return items
    lattices = []
    for lo, hi in ((0, 2), (1, 3)):
        if interval_runs(items[ordinary, 1 - lo], items[ordinary, 3 - lo])[1].size < 2:
            return items
        bands = pitch_bands(items[ordinary, lo], items[ordinary, hi], options.pitch_tolerance)
        lattices.append(_lattice(*bands) if bands else _aligned(items[:, lo], items[:, hi], options.pitch_tolerance))
    cols, rows = lattices
    if cols is None or rows is None:
        return items
    ink = mask > 0
    xs = _edges(items[:, [0, 2]], ink, cols)
    ys = _edges(items[:, [1, 3]], ink.T, rows)
    if not len(xs) and not len(ys):
        return items
    out = []
    for item in items:
        x0, y0, x1, y1 = item[:4]
        inner_x, inner_y = xs[(xs > x0) & (xs < x1)], ys[(ys > y0) & (ys < y1)]
        if not len(inner_x) and not len(inner_y):
            out.append(item)
            continue
        for a, b in zip([y0, *inner_y], [*inner_y, y1]):
            for c, d in zip([x0, *inner_x], [*inner_x, x1]):
                out += _piece(ink[a:b, c:d], c, a)
    return np.array(out, np.int64).reshape(-1, items.shape[1])


def _aligned(lo: np.ndarray, hi: np.ndarray, tolerance: float) -> tuple[float, int, int] | None:
    """A lattice (see ``_lattice``) whose cell edges are the floors most items stand on (or
    the ceilings they hang from), ends ``hi`` (starts ``lo``) shared by two items or more,
    at least three of them a steady pitch apart; None when there are none."""
    for edge in (hi, lo):
        lines, count = np.unique(edge, return_counts=True)
        lines = lines[count >= 2]
        if len(lines) < 3 or 2 * np.isin(edge, lines).sum() < len(edge):
            continue
        step, spread = _pitch(lines)
        if spread <= tolerance:
            return step, int(lines[0]), int(lines[0])
    return None


def _pitch(edge: np.ndarray) -> tuple[float, float]:
    """The median step between consecutive (increasing) ``edge`` coordinates, and how far
    the steps stray from it at most, as a share of it."""
    steps = np.diff(edge)
    step = np.median(steps)
    return step, np.abs(steps - step).max() / step


def _lattice(starts: np.ndarray, ends: np.ndarray, step: float, kept: int) -> tuple[float, int, int]:
    """A grid's pitch and its gutter, the space between its bands (``pitch_bands``, ``kept`` the
    edge that keeps the pitch) that none of them reaches: (pitch, first and last coordinate
    where the first cell edge may lie). Where items stand on their cells' floor (``kept``
    2), a cell ends where the bands do; where they hang from its ceiling (0), a cell starts
    where they do."""
    edge = (starts, (starts + ends) / 2, ends)[kept]
    k = np.round((edge - edge[0]) / step)
    lo = (ends - k * step).max()
    hi = max(lo, (starts - k * step).min() + step)
    if kept == 2:
        hi = lo
    elif kept == 0:
        lo = hi
    return step, int(np.ceil(lo)), int(np.floor(hi))


def _edges(spans: np.ndarray, ink: np.ndarray, lattice: tuple[float, int, int]) -> np.ndarray:
    """The cell edges (columns of ``ink``) when some item's span (start, end along the axis,
    ``spans``) exceeds the pitch, else none: one pitch apart, placed in the gutter where the
    fewest ink pixels (ink on both sides, 8-connected) cross the edges that run through
    those items, counted down each such edge's whole column."""
    step, lo, hi = lattice
    wide = np.flatnonzero(spans[:, 1] - spans[:, 0] > step)
    if not len(wide):
        return np.array([], np.int64)
    crossing = crossings(ink.T)  # crossing[c - 1]: ink pixels joined across the edge at column c
    n = ink.shape[1]
    best, edges = None, np.array([], np.int64)
    for phase in range(lo, hi + 1):
        count = np.arange(-np.floor(phase / step), (n - phase) / step + 1)
        lines = np.round(phase + step * count).astype(np.int64)
        lines = lines[(lines > 0) & (lines < n)]
        inside = (lines[None, :] > spans[wide, :1]) & (lines[None, :] < spans[wide, 1:])
        cost = crossing[lines[inside.any(axis=0)] - 1].sum()
        if best is None or cost < best:
            best, edges = cost, lines
    return edges


def _piece(ink: np.ndarray, x: int, y: int) -> list[list[int]]:
    """The item row of the ink in one piece of a cut item at (x, y), or none when it is empty."""
    ys, xs = np.nonzero(ink)
    if not len(xs):
        return []
    return [[x + xs.min(), y + ys.min(), x + xs.max() + 1, y + ys.max() + 1, len(xs), 1]]
