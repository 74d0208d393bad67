"""Lossy compression's fringes: the ringing round sharp ink, trimmed off the items' boxes."""
from __future__ import annotations

import cv2
import numpy as np

from importer.split.options import Plain, SplitOptions
from importer.split.pixels import channel_max, ink_mask, p90, sample_step


def without_fringes(rgb: np.ndarray, sheet: Plain | None, items: np.ndarray, options: SplitOptions) -> np.ndarray:
    """Each item's box shrunk to its ink at least ``fringe`` × as far from the sheet's colour
    as the item's ink typically is (its 90th percentile): a lossy format rings round sharp
    ink, a pixel or two of specks just past the ink tolerance that widen a small item's box
    by a fifth or more; the item's own ink, antialiased edges included, reaches farther."""
    if sheet is None:
        return items
    items = items.copy()
    for item in items:
        x0, y0, x1, y1 = item[:4]
        crop = rgb[y0:y1, x0:x1]
        step = sample_step(y1 - y0, x1 - x0)
        far = channel_max(np.abs(crop[::step, ::step].astype(np.float32) - sheet.colour))
        ink = far[far > sheet.tol]
        if not len(ink):
            continue
        strong = ink_mask(crop, sheet.colour, max(sheet.tol, options.fringe * p90(ink)))
        x, y, w, h = cv2.boundingRect(strong)
        if w and h:
            item[:4] = x0 + x, y0 + y, x0 + x + w, y0 + y + h
    return items
