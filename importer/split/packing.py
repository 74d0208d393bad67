"""Packed sheets: items set in shelves at one spacing, or at none, as a texture packer leaves them."""
from __future__ import annotations

import cv2
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from importer.split.geometry import box_gaps, group_items, interval_runs
from importer.split.options import SplitOptions
from importer.split.pixels import crossings


def join_shelves(items: np.ndarray, options: SplitOptions) -> np.ndarray:
    """On a packed sheet, unite the items that share a cell of its shelves.

    A packer sets items in shelves (bands of rows that no empty row crosses), left to right
    within each, one spacing apart: the corridors between shelves and between the cells of
    a shelf (runs of columns that no empty column crosses) are mostly of one width, under
    ``packed_spacing`` × the cells' typical side. There, items are nearer their neighbours
    than their own parts are to each other (a sprite's shadow, a spark off it), so the
    gaps read off the sheet cannot join the parts; the cell they share does."""
    cells, corridors = _cells(items)
    if len(corridors) < 3 or len(np.unique(cells)) == len(items):
        return items
    counts = np.bincount(corridors)
    joined = group_items(items[:, :4], items[:, 4], items[:, 5], cells)
    side = np.median(np.minimum(joined[:, 2] - joined[:, 0], joined[:, 3] - joined[:, 1]))
    if counts.max() < 0.5 * len(corridors) or counts.argmax() >= options.packed_spacing * side:
        return items
    return joined


def _cells(items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell label per item (see ``join_shelves``) and the widths of the corridors: between
    shelves, and between the cells of each shelf."""
    shelf, corridors = _runs(items[:, 1], items[:, 3])
    cell, count = np.empty(len(items), np.int64), 0
    for s in range(shelf.max() + 1):
        members = np.flatnonzero(shelf == s)
        run, gaps = _runs(items[members, 0], items[members, 2])
        cell[members] = count + run
        count += run.max() + 1
        corridors = np.concatenate([corridors, gaps])
    return cell, corridors


def _runs(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run label per interval ``[lo, hi)`` (overlapping or touching intervals share a run)
    and the gaps between consecutive runs."""
    label, starts, ends = interval_runs(lo, hi, touching=True)
    return label, (starts[1:] - ends[:-1]).astype(np.int64)


def unpack(labels: np.ndarray, ids: np.ndarray, boxes: np.ndarray, ink: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, bool]:
    """The pieces (boxes, ink) of a sheet packed with no spacing, and whether it is one.

    A packer that leaves no spacing sets each frame's box against its neighbours': they
    abut (no empty row or column between, no overlap), and where two frames' ink touches
    they are one piece (``ids`` its labels in ``labels``) that ``_cut`` cuts where they
    meet. The sheet is packed when most ink touches or overlaps pieces alike in size and,
    so cut, most ink lies in frames (pieces whose boxes overlap, united) alike in size to
    a frame whose box abuts theirs and that holds no part of the pieces they were cut
    from; else the pieces are returned uncut."""
    gaps = box_gaps(boxes, boxes)
    np.fill_diagonal(gaps, 1)
    i, j = np.nonzero(gaps <= 0)
    close = np.unique(i[_alike(ink[i], ink[j])])
    if 2 * ink[close].sum() <= ink.sum():
        return boxes, ink, False
    tops = set(boxes[:, 1].tolist())
    parts = [_cut(labels[y0:y1, x0:x1] == ids[k], x0, y0, tops) for k, (x0, y0, x1, y1) in enumerate(boxes)]
    origin = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
    cut_boxes = np.array([b for p in parts for b, _ in p], np.int64).reshape(-1, 4)
    cut_ink = np.array([n for p in parts for _, n in p], np.int64)
    if not _abutting(cut_boxes, cut_ink, origin):
        return boxes, ink, False
    return cut_boxes, cut_ink, True


def _abutting(boxes: np.ndarray, ink: np.ndarray, origin: np.ndarray) -> bool:
    """Whether most ink lies in frames that abut a frame alike in size (see ``unpack``); the
    pieces were cut from pieces ``origin``."""
    frame = connected_components(csr_matrix(box_gaps(boxes, boxes) < 0), directed=False)[1]
    frames = group_items(boxes, ink, np.ones_like(ink), frame)
    sources = csr_matrix((np.ones(len(frame)), (frame, origin)))
    i, j = np.nonzero(box_gaps(frames[:, :4], frames[:, :4]) == 0)
    apart = np.asarray(sources[i].multiply(sources[j]).sum(axis=1)).ravel() == 0
    abuts = np.unique(i[apart & _alike(frames[i, 4], frames[j, 4])])
    return 2 * frames[abuts, 4].sum() > frames[:, 4].sum()


def _alike(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether ink ``a`` and ``b`` (element-wise) are alike in size: within 4× of each other."""
    return np.minimum(a, b) >= 0.25 * np.maximum(a, b)


def _cut(piece: np.ndarray, x: int, y: int, tops: set) -> list[tuple[np.ndarray, int]]:
    """Parts (box, ink) of a piece (a boolean image at ``x``, ``y``) cut where two frames of
    a shelf packing meet: along a row or column that few ink pixels cross (see ``_cuts``),
    a row only where both sides start on some piece's top (``tops``: a shelf's top), a
    column only where both sides start on the same row (frames of a shelf hang from its
    top). The fewest crossings first; what a cut leaves is cut again, piece by piece."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(piece, np.uint8), connectivity=8)
    if n > 2:
        return [part for k in range(1, n) for part in _cut(_crop(labels, k, stats[k]), x + stats[k, 0],
                                                           y + stats[k, 1], tops)]
    ys, xs = np.nonzero(piece)
    piece = piece[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    x, y = x + xs.min(), y + ys.min()
    for _, axis, r in sorted(_cuts(piece)):
        a, b = (piece[:r], piece[r:]) if axis == 0 else (piece[:, :r], piece[:, r:])
        top_a, top_b = y + np.argmax(a.any(axis=1)), y + np.argmax(b.any(axis=1)) + (r if axis == 0 else 0)
        if (top_a in tops and top_b in tops) if axis == 0 else top_a == top_b:
            return _cut(a, x, y, tops) + _cut(b, x + (r if axis else 0), y + (0 if axis else r), tops)
    return [(np.array([x, y, x + piece.shape[1], y + piece.shape[0]]), int(piece.sum()))]


def _crop(labels: np.ndarray, k: int, stat: np.ndarray) -> np.ndarray:
    """Component ``k`` of ``labels``, in its box (``stat``: x, y, w, h)."""
    x, y, w, h = stat[:4]
    return labels[y:y + h, x:x + w] == k


def _cuts(piece: np.ndarray) -> list[tuple[int, int, int]]:
    """(crossing, axis, index) of each row (axis 0) or column (1) boundary of ``piece`` that
    few ink pixels cross: some, at most a quarter as many as the narrower side's extent
    along it (columns holding ink, for a row), each side holding a twentieth of the ink or
    more (a frame may be a tenth the size of the one it touches)."""
    out = []
    for axis in (0, 1):
        p = piece if axis == 0 else piece.T
        crossing = crossings(p[::-1])[::-1]  # ink pixels of row r + 1 joined to row r
        ink = np.cumsum(p.sum(axis=1))
        used = p.any(axis=0)
        first, last = np.argmax(p[:, used], axis=0), len(p) - 1 - np.argmax(p[::-1, used], axis=0)
        above = np.cumsum(np.bincount(first, minlength=len(p)))[:-1]  # columns with ink in rows <= r
        below = used.sum() - np.cumsum(np.bincount(last, minlength=len(p)))[:-1]  # ... in rows > r
        ok = ((crossing > 0) & (crossing <= 0.25 * np.minimum(above, below))
              & (ink[:-1] >= 0.05 * ink[-1]) & (ink[:-1] <= 0.95 * ink[-1]))
        out += [(int(crossing[r]), axis, int(r) + 1) for r in np.flatnonzero(ok)]
    return out
