"""Pieces into items: chained by a gap read off the sheet, small parts absorbed, one picture or many."""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from importer.split.geometry import (areas, as_one, box_gaps, content_box, group_items, nearest_gaps, united_area,
                                     weighted_median)
from importer.split.options import SplitOptions
from importer.split.text import wordlike

HoldsInk = Callable[[np.ndarray, np.ndarray], bool]  # (part box, body box): body's ink holds part's colour


def any_ink(part: np.ndarray, body: np.ndarray) -> bool:
    """``HoldsInk`` where colours are not read: every box holds every ink."""
    return True


def group_components(boxes: np.ndarray, areas: np.ndarray, reach: float, options: SplitOptions,
                     packed: bool = False, holds_ink: HoldsInk = any_ink) -> np.ndarray:
    """Items (rows as ``group_items`` makes them): components chain up when nearer than the merge gap.

    The merge gap is ``merge_fraction`` × the typical gap between neighbours (never beyond
    ``reach``), read first between components, then once more between the groups they form,
    as items made of several parts would otherwise set it to their own inner gaps. Either
    time, a join keeps the item about a typical size (see ``group_parts``, ``join_groups``).
    Pieces whose boxes touch chain up too, unless the sheet is ``packed`` with no spacing
    (see ``packing.unpack``: each frame's box abuts the next), where only overlapping boxes
    are parts. Pieces farther apart than half the smaller one's width join only where they
    share an ink (``holds_ink`` either way, see ``ink_shared``).
    """
    gaps = box_gaps(boxes, boxes)
    limit = min(options.merge_fraction * weighted_median(nearest_gaps(boxes, gaps), areas), reach)
    groups = group_items(boxes, areas, np.ones_like(areas),
                         group_parts(boxes, gaps, areas, 0 if packed else max(limit, 0.5), options, holds_ink))
    if len(groups) > 1:
        wider = min(options.merge_fraction * weighted_median(nearest_gaps(groups[:, :4]), groups[:, 4]),
                    reach)
        if wider > limit:
            groups = group_items(groups[:, :4], groups[:, 4], groups[:, 5],
                                 join_groups(groups, wider, options, holds_ink))
    return groups


def join_groups(groups: np.ndarray, limit: float, options: SplitOptions,
                holds_ink: HoldsInk = any_ink) -> np.ndarray:
    """New label per group: groups nearer than ``limit`` join when they may be parts of one
    item (``may_be_parts``, ``ink_shared``) and their united box stays within ``join_size`` ×
    the typical group box (parts of one item, not two neighbouring items)."""
    typical = weighted_median(areas(groups), groups[:, 4])
    gaps = box_gaps(groups[:, :4], groups[:, :4])
    near = ((gaps < limit) & (united_area(groups[:, None, :4], groups[None, :, :4]) <= options.join_size * typical)
            & may_be_parts(groups[:, :4], groups[:, :4], gaps, options))
    i, j = np.nonzero(np.triu(near, 1))  # each pair once: the links are undirected
    keep = ink_shared(groups[i, :4], groups[j, :4], gaps[i, j], options, holds_ink)
    return _chained(i[keep], j[keep], len(groups))


def may_be_parts(a: np.ndarray, b: np.ndarray, gaps: np.ndarray, options: SplitOptions,
                 small: float | None = None) -> np.ndarray:
    """Whether boxes ``a[i]`` and ``b[j]``, ``gaps[i, j]`` apart, may be parts of one item:
    they lie near for their size (``near_parts``), or they are of comparable size (neither
    below ``small_fraction`` of the other's area) and their united box is below ``small``
    (no bound by default; a colon's dots, where two small icons of like size farther apart
    are neighbours)."""
    area_a, area_b = areas(a)[:, None], areas(b)[None, :]
    comparable = np.minimum(area_a, area_b) >= options.small_fraction * np.maximum(area_a, area_b)
    if small is not None:
        comparable &= united_area(a[:, None, :4], b[None, :, :4]) < small  # and still small together
    return comparable | near_parts(a[:, None, :4], b[None, :, :4], gaps, options)


def near_parts(a: np.ndarray, b: np.ndarray, gaps: np.ndarray, options: SplitOptions,
               shorter: bool = False) -> np.ndarray:
    """Whether boxes ``a`` and ``b`` (broadcast against each other), ``gaps`` apart, lie within
    ``part_gap`` × the smaller one's longer side (``shorter``: its shorter side) of each
    other: a dot by its stem; a small icon farther off is a neighbour."""
    side = np.minimum if shorter else np.maximum
    side_a = side(a[..., 2] - a[..., 0], a[..., 3] - a[..., 1])
    side_b = side(b[..., 2] - b[..., 0], b[..., 3] - b[..., 1])
    return gaps <= options.part_gap * np.where(areas(a) <= areas(b), side_a, side_b)


def ink_shared(a: np.ndarray, b: np.ndarray, gaps: np.ndarray, options: SplitOptions,
               holds_ink: HoldsInk) -> np.ndarray:
    """Per pair of boxes ``a[k]``, ``b[k]``, ``gaps[k]`` apart: whether they may be parts of
    one item by their inks. A multicolour icon's detached parts lie within half the smaller
    one's width of each other (``near_parts`` by its shorter side), whatever their colours;
    parts farther apart share an ink (one holds the other's), as two neighbouring items in
    other colours do not."""
    shared = near_parts(a, b, gaps, options, shorter=True)
    for k in np.flatnonzero(~shared):
        shared[k] = holds_ink(a[k], b[k]) or holds_ink(b[k], a[k])
    return shared


def group_parts(boxes: np.ndarray, gaps: np.ndarray, ink: np.ndarray, limit: float,
                options: SplitOptions, holds_ink: HoldsInk = any_ink) -> np.ndarray:
    """Group label per component: components whose box gaps (``gaps``, see ``box_gaps``)
    are below ``limit`` chain up, a pair only when the box uniting them stays within
    ``join_size`` × the typical group (that chaining at ``limit`` alone forms) or their
    boxes touch: parts of one item, not two neighbouring items a little nearer each other
    than the rest; and only when they share an ink or lie near for their size
    (``ink_shared``)."""
    n = len(boxes)
    i, j = np.nonzero(np.triu(gaps < limit, 1))  # each pair once: the links are undirected
    loose = group_items(boxes, ink, np.ones_like(ink), _chained(i, j, n))
    typical = weighted_median(areas(loose), loose[:, 4])
    keep = (gaps[i, j] <= 0) | (united_area(boxes[i], boxes[j]) <= options.join_size * typical)
    k = np.flatnonzero(keep)
    keep[k] = ink_shared(boxes[i[k]], boxes[j[k]], gaps[i[k], j[k]], options, holds_ink)
    return _chained(i[keep], j[keep], n)


def _chained(i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    """Connected-component label of each of ``n`` nodes linked by the pairs ``(i, j)``."""
    return connected_components(csr_matrix((np.ones(len(i), bool), (i, j)), shape=(n, n)), directed=False)[1]


def absorb_small(items: np.ndarray, reach: float, options: SplitOptions,
                 holds_ink: HoldsInk = any_ink) -> np.ndarray:
    """Merge small groups (dots, accents, bars) into the nearest group in line with them.

    "In line": overlapping at least half the small group's width (above/below) or height
    (beside), nearer than ``reach`` and than the typical gap between items, and close
    enough for its size: within ``part_gap`` × the smaller one's longer side (a dot by its
    stem), or, when of like size (``may_be_parts``), still small together (a colon's dots,
    an equals sign's bars); two small icons of like size farther apart are neighbours. And
    drawn in an ink of the group it joins (``holds_ink``): a dot, an accent or a bar has its
    item's ink; a small icon by a larger one mostly has not. Word-like groups take in no
    parts and only move down onto a body no farther than their own height (accents like ä's
    dots), so captions, which sit below their items, stay apart.
    """
    items = items.copy()
    words = wordlike(items)
    if (~words).sum() > 1:
        reach = min(reach, weighted_median(nearest_gaps(items[~words, :4]), items[~words, 4]))
    alive = np.ones(len(items), bool)
    sizes = areas(items)
    small = options.small_fraction * weighted_median(sizes, items[:, 4])
    for s in np.argsort(sizes):
        x0, y0, x1, y1 = items[s, :4]
        if (x1 - x0) * (y1 - y0) >= small:
            continue
        alive[s] = False
        others = np.flatnonzero(alive)
        o = items[others]
        gaps = box_gaps(items[s:s + 1, :4], o[:, :4])[0]
        over_x = np.minimum(x1, o[:, 2]) - np.maximum(x0, o[:, 0]) >= 0.5 * (x1 - x0)
        over_y = np.minimum(y1, o[:, 3]) - np.maximum(y0, o[:, 1]) >= 0.5 * (y1 - y0)
        in_line = (over_x & (o[:, 1] >= y1) & (gaps <= y1 - y0)) if words[s] else (over_x | over_y)
        parts = may_be_parts(items[s:s + 1, :4], o[:, :4], gaps[None, :], options, small)[0]
        fit = [f for f in np.flatnonzero((gaps < reach) & parts & in_line & ~words[others])
               if holds_ink(items[s, :4], items[others[f], :4])]
        if not fit:
            alive[s] = True
            continue
        t = others[fit[np.argmin(gaps[fit])]]
        items[t] = (min(x0, items[t, 0]), min(y0, items[t, 1]), max(x1, items[t, 2]),
                    max(y1, items[t, 3]), items[t, 4] + items[s, 4], items[t, 5] + items[s, 5])
    return items[alive]


def single_or_collection(items: np.ndarray, options: SplitOptions) -> np.ndarray:
    """Collapse to one content box when a single group dominates the content (one picture)."""
    if len(items) < 2:
        return items
    x0, y0, x1, y1 = content_box(items)
    if areas(items).max() < options.single_cover * (x1 - x0) * (y1 - y0):
        return items
    return as_one(items)
