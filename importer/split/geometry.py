"""Box arithmetic on item rows ``(x0, y0, x1, y1, ink area, pieces)``: gaps, unions, medians."""
from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from importer.split.options import Box


def to_boxes(items) -> list[Box]:
    return [(int(x0), int(y0), int(x1 - x0), int(y1 - y0)) for x0, y0, x1, y1, *_ in items]


def as_one(items: np.ndarray) -> np.ndarray:
    """``items`` as one item: their content box, ink and pieces summed."""
    return np.array([[*content_box(items), items[:, 4].sum(), items[:, 5].sum()]])


def content_box(items: np.ndarray) -> np.ndarray:
    """The box holding all ``items``."""
    return np.array([items[:, 0].min(), items[:, 1].min(), items[:, 2].max(), items[:, 3].max()])


def box_gaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Empty rows/columns between every box of ``a`` and of ``b`` (Chebyshev; ≤ 0 overlaps)."""
    dx = np.maximum(b[None, :, 0] - a[:, None, 2], a[:, None, 0] - b[None, :, 2])
    dy = np.maximum(b[None, :, 1] - a[:, None, 3], a[:, None, 1] - b[None, :, 3])
    return np.maximum(dx, dy)


def united_area(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Area of the box uniting boxes ``a`` and ``b`` (element-wise, broadcast)."""
    return ((np.maximum(a[..., 2], b[..., 2]) - np.minimum(a[..., 0], b[..., 0]))
            * (np.maximum(a[..., 3], b[..., 3]) - np.minimum(a[..., 1], b[..., 1])))


def nearest_gaps(boxes: np.ndarray, gaps: np.ndarray | None = None) -> np.ndarray:
    """Each box's gap to its nearest other box (inf for a lone box); ``gaps`` is
    ``box_gaps(boxes, boxes)`` where the caller holds it already."""
    gaps = (box_gaps(boxes, boxes) if gaps is None else gaps).astype(float)
    np.fill_diagonal(gaps, np.inf)
    return gaps.min(axis=1)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2)])


def areas(boxes: np.ndarray) -> np.ndarray:
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def group_items(boxes: np.ndarray, areas: np.ndarray, parts: np.ndarray,
                group: np.ndarray) -> np.ndarray:
    """One row (x0, y0, x1, y1, area, parts) per group label, boxes united."""
    n = group.max() + 1
    lo = np.full((n, 2), np.iinfo(np.int64).max)
    hi = np.full((n, 2), np.iinfo(np.int64).min)
    np.minimum.at(lo, group, boxes[:, :2])
    np.maximum.at(hi, group, boxes[:, 2:4])
    return np.column_stack([lo, hi, np.bincount(group, areas, n), np.bincount(group, parts, n)]).astype(np.int64)


def merge_overlaps(items: np.ndarray) -> np.ndarray:
    """Merge items whose boxes overlap until none do."""
    while len(items) > 1:
        overlap = box_gaps(items, items) < 0
        if overlap.sum() == len(items):  # each box overlaps only itself
            return items
        group = connected_components(csr_matrix(overlap), directed=False)[1]
        items = group_items(items[:, :4], items[:, 4], items[:, 5], group)
    return items


def interval_runs(lo: np.ndarray, hi: np.ndarray, touching: bool = False
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run label per interval ``[lo, hi)``, runs numbered in order along the axis
    (overlapping intervals share a run, and so do touching ones when ``touching``), and
    each run's start and end."""
    label, count, reach = np.empty(len(lo), np.int64), -1, -np.inf
    for i in np.argsort(lo, kind="stable"):
        if lo[i] > reach or (lo[i] == reach and not touching):
            count += 1
        label[i], reach = count, max(reach, hi[i])
    starts, ends = np.full(count + 1, np.inf), np.full(count + 1, -np.inf)
    np.minimum.at(starts, label, lo)
    np.maximum.at(ends, label, hi)
    return label, starts, ends


def consecutive(values) -> list[list[int]]:
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return runs


def all_in(flags: np.ndarray, start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Whether every index of each run ``[start, start + size)`` is flagged."""
    counts = np.concatenate([[0], np.cumsum(flags)])
    return counts[start + size] - counts[start] == size
