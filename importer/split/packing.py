"""Packed sheets: items set in shelves at one spacing, as a texture packer leaves them."""
from __future__ import annotations

import numpy as np

from importer.split.geometry import group_items, interval_runs
from importer.split.options import SplitOptions


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
