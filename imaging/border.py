"""An image's border: its one-pixel frame, the background colour it shows, and letterboxing padded with it."""
from __future__ import annotations

import cv2
import numpy as np


def frame(a: np.ndarray) -> np.ndarray:
    """The image's one-pixel frame, as a run of its pixels once around, clockwise (each
    corner once), so that runs along the frame stay runs."""
    if min(a.shape[:2]) < 2:
        return a.reshape(-1, *a.shape[2:])
    return np.concatenate([a[0], a[1:, -1], a[-1, -2::-1], a[-2:0:-1, 0]])


def border_colour(rgb: np.ndarray) -> np.ndarray:
    """The frame's median colour (uint8 RGB): the background of a crop."""
    return np.median(frame(rgb), axis=0).astype(np.uint8)


def letterbox(rgb: np.ndarray, size: int) -> np.ndarray:
    """Scale to fit a size×size square keeping the aspect ratio; pad with the border colour."""
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(rgb, (nw, nh), interpolation=method)
    canvas = np.empty((size, size, 3), np.uint8)
    canvas[:] = border_colour(rgb)
    top, left = (size - nh) // 2, (size - nw) // 2
    canvas[top:top + nh, left:left + nw] = resized
    return canvas
