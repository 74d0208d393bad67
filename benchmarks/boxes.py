"""Boxes (x, y, w, h) as the benchmarks compare them: overlap, IoU and EVAL.md's match."""
from __future__ import annotations

MATCH_IOU = 0.8  # a crop matches a true item at this IoU or more (EVAL.md)


def overlap(a, b) -> int:
    """Area the boxes ``a`` and ``b`` share."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy


def iou(a, b) -> float:
    shared = overlap(a, b)
    union = a[2] * a[3] + b[2] * b[3] - shared
    return shared / union if union else 0.0
