"""Boxes in a picture: (x, y, w, h) grown into the window around them, clipped to the picture."""
from __future__ import annotations

Box = tuple[int, int, int, int]


def context_box(box: Box, shape: tuple[int, ...], margin: float) -> Box:
    """``box`` (x, y, w, h) grown by ``margin`` times its longer side, clipped to a picture of ``shape``."""
    x, y, w, h = box
    m = round(margin * max(w, h))
    x0, y0 = max(0, x - m), max(0, y - m)
    x1, y1 = min(shape[1], x + w + m), min(shape[0], y + h + m)
    return x0, y0, x1 - x0, y1 - y0
